"""CSV import and export pages (placeholder until the import service lands)."""

from django.http import HttpResponse

from tenancy.views_base import TenantView


class AccountImportView(TenantView):
    def get(self, request):
        return HttpResponse("import")


class AccountExportView(TenantView):
    def get(self, request):
        return HttpResponse("export")
