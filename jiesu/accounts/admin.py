"""Back-office: users (role and unit), API tokens and the sign-in records (with the unlock of a locked sign-in)."""
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jiesu.accounts import signin
from jiesu.accounts.models import ApiToken, SignInEvent, User
from jiesu.accounts.signin import AdminSignInForm
from jiesu.tickets.admin import ReadOnlyMixin

admin.site.site_header = _("Jiesu administration")
admin.site.site_title = _("Jiesu administration")
admin.site.index_title = _("What you may keep here")  # the same for a superuser and a dispatch lead
admin.site.site_url = "/"
admin.site.login_form = AdminSignInForm  # the admin's login is locked as the site's is (accounts.signin)


def say_new_key(request, token):
    """The key of a token just made, shown this once (only its digest is kept: accounts.models.ApiToken)."""
    from django.contrib import messages
    from django.utils.translation import gettext

    messages.warning(request, gettext("API token “%(name)s” key: %(key)s. It is shown only this once: copy it now.")
                     % {"name": token.name, "key": token.key})


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    extra = 0
    fields = ("name", "hint", "active", "created_at", "last_used_at")
    readonly_fields = ("hint", "created_at", "last_used_at")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "unit", "position", "is_active", "is_staff", "last_login")
    list_filter = ("role", "position", "is_active", "is_staff", "is_superuser", "unit__kind")
    search_fields = ("username", "display_name", "first_name", "last_name", "email", "unit__name", "unit__code")
    list_select_related = ("unit",)
    raw_id_fields = ("unit",)
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Role and unit"), {"fields": ("role", "unit", "position", "display_name", "phone")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                            "classes": ("collapse",)}),
        (_("Important dates"), {"fields": ("last_login", "date_joined"), "classes": ("collapse",)}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("username", "password1", "password2", "role", "unit", "position", "display_name")}),
    )
    inlines = [ApiTokenInline]
    actions = ["unlock_sign_in"]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for token in getattr(formset, "new_objects", ()):
            if isinstance(token, ApiToken):
                say_new_key(request, token)

    def user_change_password(self, request, id, form_url=""):
        """An administrator's reset of a user's password is recorded with who made it (the user's sessions end by
        themselves: the password's hash is part of every session's check)."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            signin.record(signin.Kind.PASSWORD_CHANGED, request, user=self.get_object(request, unquote(id)),
                          by=request.user)
        return response

    @admin.action(description=_("Unlock sign-in of the selected users"), permissions=["change"])
    def unlock_sign_in(self, request, queryset):
        """The failed sign-ins before now no longer count for these user names (accounts.signin)."""
        for user in queryset:
            signin.unlock(username=user.username, by=request.user)
        count = queryset.count()
        self.message_user(request, ngettext("Sign-in unlocked for %(count)d user.",
                                            "Sign-in unlocked for %(count)d users.", count) % {"count": count})


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "hint", "active", "created_at", "last_used_at")
    list_filter = ("active",)
    search_fields = ("name", "user__username")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    readonly_fields = ("hint", "created_at", "last_used_at")
    fields = ("name", "user", "active", "hint", "created_at", "last_used_at")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            say_new_key(request, obj)





@admin.register(SignInEvent)
class SignInEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Read only: the record of sign-ins; its one action unlocks the user names and addresses of the selected."""
    list_display = ("at", "kind", "username", "user", "address", "by", "user_agent")
    list_filter = ("kind",)
    search_fields = ("username", "address")
    date_hierarchy = "at"
    list_select_related = ("user", "by")
    actions = ["unlock_selected"]

    def has_unlock_permission(self, request):
        """Who may change users may unlock them (and the addresses they signed in from)."""
        return request.user.has_perm("accounts.change_user")

    @admin.action(description=_("Unlock the user names and addresses of the selected records"),
                  permissions=["unlock"])
    def unlock_selected(self, request, queryset):
        pairs = set(queryset.values_list("username", "address"))
        for username, address in pairs:
            signin.unlock(username=username, address=address, by=request.user)
        self.message_user(request, ngettext("Unlocked %(count)d user name and address.",
                                            "Unlocked %(count)d user names and addresses.", len(pairs))
                          % {"count": len(pairs)})
