"""Account pages beyond allauth's: the profile; sign-in answering 429 when throttled."""

from allauth.account.views import LoginView as AllauthLoginView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .selectors import display_name
from .services import profile_update
from .signup import DisplayNameForm


class LoginView(AllauthLoginView):
    def form_invalid(self, form: Form) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error("__all__", code="too_many_login_attempts"):
            response.status_code = 429  # the form says why and for how long
        return response


login = LoginView.as_view()


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = DisplayNameForm(request.POST)
        if form.is_valid():
            profile_update(user=user, display_name=form.cleaned_data["display_name"])
            messages.success(request, "Your name is saved.")
            return redirect("accounts:profile")
        status = 422
    else:
        form = DisplayNameForm(initial={"display_name": display_name(user=user)})
        status = 200
    return render(request, "accounts/profile.html", {"form": form}, status=status)
