"""The accuracy page's buttons for the desk's model (model_views): roll back to the previous model, retrain now.

    {% load model_actions %}{% model_actions %}    shown to whoever may use them (model_views.may_manage_model)
"""
from django import template

from jiesu.dispatch import services as desk
from jiesu.dispatch.model_views import may_manage_model, previous_model

register = template.Library()


@register.inclusion_tag("dispatch/model_actions.html", takes_context=True)
def model_actions(context):
    request = context["request"]
    if not may_manage_model(request.user):
        return {"shown": False}
    return {"shown": True, "previous": previous_model(), "running": desk.retrain_running(),
            "csrf_token": context.get("csrf_token")}
