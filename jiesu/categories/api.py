"""Categories API (mounted at /api/v1/categories): the intake picker, the tree, the time limits."""
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from jiesu.categories import services
from jiesu.categories.models import Category, Duty, TimeLimitClass

router = Router(tags=["categories"])


class CategoryOut(Schema):
    code: str
    name: str
    full_name: str
    level: int
    parent: str | None
    request_type: str
    time_limit: str
    gbt_code: str
    keywords: str
    is_leaf: bool


class TreeNode(Schema):
    code: str
    name: str
    level: int
    request_type: str
    time_limit: str | None
    gbt_code: str
    children: list["TreeNode"] = []


TreeNode.model_rebuild()


class StepLimit(Schema):
    amount: int
    unit: str
    unit_label: str


class TimeLimitOut(Schema):
    code: str
    name: str
    dispatch: StepLimit
    sign: StepLimit
    contact: StepLimit
    reply: StepLimit


class DutyOut(Schema):
    category: str
    scope: str
    role: str
    negative: bool
    unit_kind: str
    unit: str | None
    unit_name: str | None
    territory: str | None


class CategoryDetail(CategoryOut):
    duties: list[DutyOut]


class SearchParams(Schema):
    q: str = ""
    leaves: bool = True
    limit: int = 50


def _out(categories, index=None):
    index = index or services.category_index()
    rows = []
    for c in categories:
        is_leaf = getattr(c, "is_leaf_node", None)
        if is_leaf is None:
            is_leaf = not c.children.filter(active=True).exists()
        parent = index.get(c.parent_id)
        rows.append({
            "code": c.code, "name": c.name, "full_name": services.full_name(index, c.pk), "level": c.level,
            "parent": parent[0] if parent else None, "request_type": c.request_type,
            "time_limit": services.effective_time_limit(index, c.pk), "gbt_code": c.gbt_code,
            "keywords": c.keywords, "is_leaf": is_leaf,
        })
    return rows


@router.get("", response=list[CategoryOut], summary="Search categories (intake picker)")
def search(request, params: Query[SearchParams]):
    """Every word of `q` must occur in the name, keywords or a parent's name, or start the
    code / GB/T code. Leaves only unless `leaves=false`; leaves first, best match first."""
    limit = max(1, min(params.limit, 1000))
    return _out(services.search_categories(params.q, limit=limit, leaves_only=params.leaves))


@router.get("/tree", response=list[TreeNode], summary="The category tree")
def tree(request, root: str | None = None):
    """The whole active tree, or the subtree under `root` (a category code)."""
    return services.category_tree(root=root)


@router.get("/time-limits", response=list[TimeLimitOut], summary="Time-limit classes")
def time_limits(request):
    out = []
    for t in TimeLimitClass.objects.all():
        row = {"code": t.code, "name": t.name}
        for step in ("dispatch", "sign", "contact", "reply"):
            amount, unit = t.limit(step)
            row[step] = {"amount": amount, "unit": unit, "unit_label": str(getattr(t, f"get_{step}_unit_display")())}
        out.append(row)
    return out


@router.get("/{code}", response=CategoryDetail, summary="One category with its dispatch catalogue entries")
def detail(request, code: str):
    category = get_object_or_404(Category, code=code)
    row = _out([category])[0]
    chain, node = [], category
    while node is not None:
        chain.append(node.pk)
        node = node.parent
    duties = []
    for d in (Duty.objects.filter(category_id__in=chain)
              .select_related("category", "unit", "territory").order_by("-category__level", "negative", "role")):
        duties.append({"category": d.category.code, "scope": d.scope, "role": d.role, "negative": d.negative,
                       "unit_kind": d.unit_kind, "unit": d.unit.code if d.unit_id else None,
                       "unit_name": d.unit.name if d.unit_id else None,
                       "territory": d.territory.code if d.territory_id else None})
    row["duties"] = duties
    return row
