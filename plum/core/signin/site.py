"""Plum's admin site: Django's, whose sign-in asks for a second factor when PLUM_ADMIN_MFA=1.

With MFA on, a page of the admin needs a session verified by a device (django-otp's middleware sets
request.user.is_verified()). A staff member without a device signs in with the password, is sent to
enrolment (scan the QR code or type the secret, confirm one code) and is shown ten recovery codes once.
With MFA off the admin works as it always did (the code field is not shown)."""

import base64

import segno
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from plum.core.signin.forms import EnrolmentForm, SignInForm

RECOVERY_DEVICE = "Recovery codes"
APP_DEVICE = "Authenticator app"


def _staff(request) -> bool:
    user = request.user
    return user.is_authenticated and user.is_active and user.is_staff


class PlumAdminSite(admin.AdminSite):
    login_form = SignInForm
    login_template = "admin/plum_login.html"

    def has_permission(self, request):
        return super().has_permission(request) and (not settings.ADMIN_MFA or request.user.is_verified())

    def get_urls(self):
        return [
            path("mfa/enrol/", self.enrol_view, name="mfa_enrol"),
            *super().get_urls(),
        ]

    def _needs_enrolment(self, request) -> bool:
        return settings.ADMIN_MFA and _staff(request) and not user_has_device(request.user)

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        if self._needs_enrolment(request):
            return HttpResponseRedirect(reverse("admin:mfa_enrol", current_app=self.name))
        response = super().login(request, {"mfa": settings.ADMIN_MFA, **(extra_context or {})})
        device = getattr(request, "plum_otp_device", None)
        if device is not None and request.user.is_authenticated:
            otp_login(request, device)  # this session is verified by that device
        if request.method == "POST" and self._needs_enrolment(request):
            return HttpResponseRedirect(reverse("admin:mfa_enrol", current_app=self.name))
        return response

    @method_decorator(never_cache)
    def enrol_view(self, request):
        """A signed-in staff member without a device: a new authenticator app, confirmed with one code; then
        the recovery codes, shown this once."""
        if not self._needs_enrolment(request):
            return HttpResponseRedirect(reverse("admin:index" if self.has_permission(request) else "admin:login"))
        device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=request.user, name=APP_DEVICE, confirmed=False)
        form = EnrolmentForm(request.POST or None, device=device)
        context = {**self.each_context(request), "title": "Set up two-factor sign-in", "form": form}
        if request.method == "POST" and form.is_valid():
            codes = self._confirm(request, device)
            context.update(title="Your recovery codes", codes=codes)
            return TemplateResponse(request, "admin/plum_recovery_codes.html", context)
        uri = device.config_url
        context.update(
            secret=base64.b32encode(device.bin_key).decode(),
            uri=uri,
            qr_svg=segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app"),
        )
        return TemplateResponse(request, "admin/plum_mfa_enrol.html", context)

    @staticmethod
    def _confirm(request, device: TOTPDevice) -> list[str]:
        with transaction.atomic():
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            recovery = StaticDevice.objects.create(user=request.user, name=RECOVERY_DEVICE, confirmed=True)
            codes = [StaticToken.random_token() for _ in range(settings.ADMIN_RECOVERY_CODES)]
            StaticToken.objects.bulk_create([StaticToken(device=recovery, token=code) for code in codes])
        otp_login(request, device)
        return codes
