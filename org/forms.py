"""The log-in form, with the lock-outs of ``org.auth``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from org.auth import LoginLocked, authenticate_throttled


class ThrottledAuthenticationForm(AuthenticationForm):
    #: The lock that refused this attempt, for the view to answer 429 with its ``Retry-After``.
    locked: LoginLocked | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = authenticate_throttled(self.request, username, password)
            except LoginLocked as locked:
                self.locked = locked
                raise forms.ValidationError(str(locked), code="locked") from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
