"""Forms of the ticket pages. They only parse input; the services decide what is valid."""
from django import forms
from django.utils.translation import gettext_lazy as _

from jiesu.categories.models import RequestType
from jiesu.tickets.models import AssignmentRole, Channel, State


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


#: The datums a point may be typed in (jiesu.dispatch.coords.SYSTEMS), as the maps that show them are known; stored
#: as WGS-84. The intake's and the gazetteer admin's choice.
COORD_SYSTEMS = [("wgs84", _("WGS-84 (GPS)")), ("gcj02", _("GCJ-02 (Amap, Tencent Maps, WeChat)")),
                 ("bd09", _("BD-09 (Baidu Maps)"))]


class CoordinateField(forms.FloatField):
    """A longitude or latitude: typed in a Chinese input method (116。397, full-width １１６．３９７) it is read as
    116.397 (coords.number_text); a decimal comma or both numbers in one field are said (coords.number_hint)."""

    def to_python(self, value):
        from jiesu.dispatch.coords import number_hint, number_text

        if isinstance(value, str):
            value = number_text(value)
        try:
            return super().to_python(value)
        except forms.ValidationError as exc:
            hint = number_hint(value)
            if not hint:
                raise
            raise forms.ValidationError(f"{exc.messages[0]} {hint}", code="invalid") from None


class IntakeForm(forms.Form):
    """受理. Nothing is required here: create_ticket says what is missing, naming the field."""

    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    request_type = forms.ChoiceField(choices=[("", _("From the category"))] + list(RequestType.choices),
                                     required=False)
    title = forms.CharField(required=False, widget=forms.TextInput(attrs={"maxlength": 120}))
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 7, "autofocus": True}))
    address = forms.CharField(required=False, widget=forms.TextInput(attrs={"maxlength": 200}))
    street = forms.CharField(required=False)       # unit code, from the place picker
    category = forms.CharField(required=False)     # category code, from the category picker
    lon = CoordinateField(required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    lat = CoordinateField(required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    coord_system = forms.ChoiceField(choices=COORD_SYSTEMS, initial="wgs84", required=False,
                                     widget=forms.Select(attrs={"aria-label": _("Coordinate system")}))
    citizen_name = forms.CharField(required=False, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    citizen_phone = forms.CharField(required=False, widget=forms.TextInput(
        attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}))
    anonymous = forms.BooleanField(required=False)
    confidential = forms.BooleanField(required=False)
    attachments = MultipleFileField(required=False, widget=MultipleFileInput(
        attrs={"accept": "image/jpeg,image/png,image/webp", "multiple": True}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lon"].error_messages["invalid"] = _("Enter a number, e.g. 116.397.")
        self.fields["lat"].error_messages["invalid"] = _("Enter a number, e.g. 39.909.")


def _states(values):
    return [("", _("All being handled"))] + [(v, State(v).label) for v in values]


class WorkFilterForm(forms.Form):
    state = forms.ChoiceField(required=False, choices=_states(
        (State.DISPATCHED, State.SIGNED, State.CONTACTED, State.RETURNED, State.REPLIED, State.CLOSED)))
    role = forms.ChoiceField(required=False, choices=[("", _("All roles"))] + list(AssignmentRole.choices))
    step = forms.ChoiceField(required=False, choices=[
        ("", _("Any next step")), ("sign", _("Sign for")), ("contact", _("Contact the citizen")), ("reply", _("Reply"))])
    overdue = forms.BooleanField(required=False)
    q = forms.CharField(required=False)
    street = forms.CharField(required=False)       # the ticket's street (街道/乡镇), a unit id from the picker
    category = forms.CharField(required=False)     # a category code: it and the categories below it
    due = forms.ChoiceField(required=False, choices=[
        ("", _("Any deadline")), ("today", _("Due today")), ("working_day", _("Due within one working day")),
        ("overdue", _("Overdue"))])


class SearchForm(forms.Form):
    number = forms.CharField(required=False)
    q = forms.CharField(required=False)
    state = forms.ChoiceField(required=False, choices=[("", _("All states"))] + list(State.choices))
    district = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    street = forms.IntegerField(required=False)
    category = forms.CharField(required=False)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    negative_override = forms.BooleanField(required=False)
    auto_dispatched = forms.BooleanField(required=False)
    auto_category = forms.CharField(required=False)

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("All districts"))] + [(d.pk, d.name) for d in districts]
