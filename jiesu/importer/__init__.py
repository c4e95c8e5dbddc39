"""Bulk import of historical tickets (`jiesu import FILE --format csv|us311`); see docs/import.md."""
