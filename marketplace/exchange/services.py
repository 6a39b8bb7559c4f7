"""The exchange domain's services, as the other domains use them."""

from typing import TYPE_CHECKING, Any

from marketplace.domain_surface import surface_attribute

if TYPE_CHECKING:
    from marketplace.exchange.import_reports import find_report as find_report
    from marketplace.exchange.jobs import export_file as export_file
    from marketplace.exchange.jobs import remove_old_files as remove_old_files
    from marketplace.exchange.jobs import run_export as run_export
    from marketplace.exchange.jobs import run_import as run_import
    from marketplace.exchange.memory import release_memory_soon as release_memory_soon
    from marketplace.exchange.offers import IMPORTED_COLUMNS as IMPORTED_COLUMNS
    from marketplace.exchange.offers import count_offers as count_offers
    from marketplace.exchange.offers import export_pages as export_pages
    from marketplace.exchange.offers import import_offers as import_offers
    from marketplace.exchange.offers import offer_columns as offer_columns
    from marketplace.exchange.organizations import export_organizations as export_organizations
    from marketplace.exchange.paging import stream_list as stream_list
    from marketplace.exchange.readers import MAX_BYTES as MAX_BYTES
    from marketplace.exchange.readers import UPLOAD_BODY_LIMIT as UPLOAD_BODY_LIMIT
    from marketplace.exchange.readers import TableProblem as TableProblem
    from marketplace.exchange.readers import read_table as read_table
    from marketplace.exchange.too_large import too_large_json as too_large_json
    from marketplace.exchange.too_large import too_large_page as too_large_page
    from marketplace.exchange.upload_form import UploadForm as UploadForm
    from marketplace.exchange.upload_form import import_page as import_page
    from marketplace.exchange.upload_form import import_upload as import_upload
    from marketplace.exchange.volunteer_import import import_volunteers as import_volunteers
    from marketplace.exchange.volunteer_import import volunteer_import_columns as volunteer_import_columns
    from marketplace.exchange.volunteers import export_volunteers as export_volunteers
    from marketplace.exchange.writers import CSV_MEDIA_TYPE as CSV_MEDIA_TYPE
    from marketplace.exchange.writers import XLSX_MEDIA_TYPE as XLSX_MEDIA_TYPE

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "CSV_MEDIA_TYPE": "writers",
    "IMPORTED_COLUMNS": "offers",
    "MAX_BYTES": "readers",
    "TableProblem": "readers",
    "UPLOAD_BODY_LIMIT": "readers",
    "UploadForm": "upload_form",
    "XLSX_MEDIA_TYPE": "writers",
    "count_offers": "offers",
    "export_file": "jobs",
    "export_organizations": "organizations",
    "export_pages": "offers",
    "export_volunteers": "volunteers",
    "find_report": "import_reports",
    "import_offers": "offers",
    "import_page": "upload_form",
    "import_upload": "upload_form",
    "import_volunteers": "volunteer_import",
    "offer_columns": "offers",
    "read_table": "readers",
    "release_memory_soon": "memory",
    "remove_old_files": "jobs",
    "run_export": "jobs",
    "run_import": "jobs",
    "stream_list": "paging",
    "too_large_json": "too_large",
    "too_large_page": "too_large",
    "volunteer_import_columns": "volunteer_import",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)
