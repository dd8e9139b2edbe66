"""The admin's sign-in form: the password, and with PLUM_ADMIN_MFA=1 a code from the staff member's
authenticator app or one of their recovery codes."""

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django_otp import match_token, user_has_device

WRONG_CODE = (
    "The code is wrong, or was already used. Enter the current code from your authenticator app, or a recovery code."
)


def _token(value: str) -> str:
    return "".join(value.split())


class SignInForm(AdminAuthenticationForm):
    otp_token = forms.CharField(
        required=False,
        max_length=64,
        label="Code",
        help_text="From your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )
    error_messages = {**AdminAuthenticationForm.error_messages, "wrong_code": WRONG_CODE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = None

    def clean(self):
        cleaned = super().clean()  # the password: a wrong one is counted by django-axes
        user = self.get_user()
        if not settings.ADMIN_MFA or user is None or not user_has_device(user):
            return cleaned  # no device yet: the site sends the staff member through enrolment
        token = _token(cleaned.get("otp_token") or "")
        self.device = match_token(user, token) if token else None  # a recovery code is used up here
        self.request.plum_otp_device = self.device  # the site marks the session verified by it
        if self.device is None:
            # counted as a failed sign-in: guessing codes is throttled like guessing passwords
            credentials = {"username": user.get_username()}
            user_login_failed.send(sender=__name__, credentials=credentials, request=self.request)
            raise forms.ValidationError(self.error_messages["wrong_code"], code="wrong_code")
        return cleaned


class EnrolmentForm(forms.Form):
    otp_token = forms.CharField(
        max_length=16,
        label="Code",
        help_text="The 6-digit code your authenticator app shows now.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_otp_token(self):
        token = _token(self.cleaned_data["otp_token"])
        if not self.device.verify_token(token):
            raise forms.ValidationError("That code is not the one the app shows now: check the app and try again.")
        return token
