"""How allauth talks to people here: our wording for its refusals."""

from allauth.account.adapter import DefaultAccountAdapter

from .limits import login_limit_text


class AccountAdapter(DefaultAccountAdapter):
    @property
    def error_messages(self) -> dict:
        messages = dict(super().error_messages)
        messages["too_many_login_attempts"] = (
            f"Too many wrong passwords: {login_limit_text()} "
            "Wait, or reset your password if you forgot it."
        )
        return messages
