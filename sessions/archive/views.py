"""The search page: a plain GET form, answered as a whole page or, for htmx, as the
results fragment (the page's URL follows the query, so results are shareable)."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from ..board.identity import request_actor
from . import selectors
from .forms import SearchForm

RESULTS_PER_PAGE = 20
TEMPLATE = "sessions/archive/search.html"


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@require_GET
@vary_on_headers("HX-Request")
def search(request: HttpRequest) -> HttpResponse:
    events = selectors.searchable_events(actor=request_actor(request))
    form = SearchForm(request.GET, events=events)
    page = query = results = None
    if form.is_valid():
        query = form.parsed
        if query.terms:
            scope = selectors.search_scope(
                events=events, filters=form.filters, kind=form.cleaned_data["kind"]
            )
            number = _page_number(request.GET.get("page"))
            first = slice((number - 1) * RESULTS_PER_PAGE, number * RESULTS_PER_PAGE)
            results = selectors.SearchResults(query=query, scope=scope, first=first)
            page = Paginator(results, RESULTS_PER_PAGE).get_page(number)
    context = {
        "form": form,
        "filters": form.filter_menus(),
        "query": query,
        "page": page,
        "results": results,
    }
    # A history restore asks for the whole page (htmx swaps the body with it).
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, f"{TEMPLATE}#results", context)
    return render(request, TEMPLATE, context)
