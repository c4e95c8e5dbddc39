"""A signed-in user's own password: the change checks the old one and ends the user's other sessions."""
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from jiesu.accounts import signin


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's change (old password, new one twice, AUTH_PASSWORD_VALIDATORS). The password's hash is part of
    every session's check, so the user's other sessions end; this one is kept (update_session_auth_hash)."""
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")
    form_class = signin.PasswordChange  # wrong old passwords count towards the sign-in lock

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.request = self.request
        return form

    def form_valid(self, form):
        response = super().form_valid(form)
        signin.record(signin.Kind.PASSWORD_CHANGED, self.request, user=form.user)
        messages.success(self.request, _("Your password was changed. Where else you were signed in, you are now "
                                         "signed out."))
        return response
