"""The search page: a plain GET form, answered as a whole page or, for htmx, as the
results fragment (the page's URL follows the query, so results are shareable)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from ..board.identity import request_actor
from . import selectors
from .forms import SearchForm

PER_PAGE = 20
TEMPLATE = "sessions/archive/search.html"


@require_GET
@vary_on_headers("HX-Request")
def search(request: HttpRequest) -> HttpResponse:
    events = selectors.searchable_events(actor=request_actor(request))
    form = SearchForm(request.GET, events=events)
    page = query = None
    if form.is_valid():
        query = form.parsed
        if query.terms:
            scope = selectors.search_scope(
                events=events, filters=form.filters, kind=form.cleaned_data["kind"]
            )
            page = selectors.search_page(
                query=query, scope=scope, number=request.GET.get("page"), per_page=PER_PAGE
            )
    context = {
        "form": form,
        "filters": form.filter_menus(),
        "query": query,
        "page": page,
        "results": page.paginator.object_list if page else None,
    }
    # A history restore asks for the whole page (htmx swaps the body with it).
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, f"{TEMPLATE}#results", context)
    return render(request, TEMPLATE, context)
