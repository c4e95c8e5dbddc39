from django.utils.text import capfirst


def kind_and_number(row):
    """A row named by its kind and id (退单申请 13, Volume alert 12), in the reader's language, without a query: the
    __str__ of the models that have no name of their own, for the admin's lists, titles and delete pages, which
    showed Django's untranslated "ReturnRequest object (13)" (tests/core/test_every_page_audit.py)."""
    return f"{capfirst(row._meta.verbose_name)} {row.pk}"
