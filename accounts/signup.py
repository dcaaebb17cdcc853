"""The display name, asked on allauth's sign-up form and on the profile page.

allauth builds its sign-up form on top of `SignupForm` (ACCOUNT_SIGNUP_FORM_CLASS) and
imports it while defining its own forms, so this module must not import allauth's forms.
"""

from django import forms
from django.core.exceptions import ValidationError

from .services import MAX_DISPLAY_NAME, clean_display_name, profile_update


class DisplayNameForm(forms.Form):
    display_name = forms.CharField(
        label="Your name",
        max_length=MAX_DISPLAY_NAME,
        help_text="Shown on your notes, proposals and cursor.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def clean_display_name(self) -> str:
        try:
            return clean_display_name(self.cleaned_data["display_name"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["display_name"]) from None


class SignupForm(DisplayNameForm):
    field_order = ["display_name", "email", "password1", "password2"]

    def signup(self, request, user) -> None:
        """Called by allauth once the user is saved."""
        profile_update(user=user, display_name=self.cleaned_data["display_name"])
