"""allauth's sign-in form, with its limit stated (ACCOUNT_FORMS["login"])."""

from allauth.account.forms import LoginForm as AllauthLoginForm

from .limits import login_limit_text


class LoginForm(AllauthLoginForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit = login_limit_text()
        # Shown on the form, so that nobody is surprised by the pause.
        self.limit_note = f"For your safety, {limit}" if limit else ""
        self.fields["login"].label = "Email or username"
