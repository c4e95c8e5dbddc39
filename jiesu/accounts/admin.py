"""Back-office: users (role and unit) and API tokens."""
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from jiesu.accounts.models import ApiToken, User

admin.site.site_header = _("Jiesu administration")
admin.site.site_title = _("Jiesu administration")
admin.site.index_title = _("What you may keep here")  # the same for a superuser and a dispatch lead
admin.site.site_url = "/"


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    extra = 0
    fields = ("name", "key", "active", "created_at", "last_used_at")
    readonly_fields = ("key", "created_at", "last_used_at")


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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "active", "created_at", "last_used_at")
    list_filter = ("active",)
    search_fields = ("name", "user__username")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    readonly_fields = ("key", "created_at", "last_used_at")
    fields = ("name", "user", "active", "key", "created_at", "last_used_at")
