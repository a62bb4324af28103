"""The retention report (manager+), its drill-down and its CSV exports."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts import csv_io
from accounts.models import Segment
from accounts.selectors import owner_choices
from renewals import retention, services
from renewals.forms import PRESETS, RetentionQueryForm, preset_period
from tenancy.ids import id_parse
from tenancy.models import Role
from tenancy.views_base import TenantView

MOVEMENTS_PAGE_SIZE = 100


def _owner_names(organization) -> dict[int, str]:
    return {m.pk: m.user.display_name for m in owner_choices(organization=organization)}


class RetentionReportView(TenantView):
    read_role = Role.MANAGER
    write_role = Role.MANAGER

    def get(self, request):
        today = services.organization_today(self.organization)
        form = RetentionQueryForm(request.GET, organization=self.organization, today=today)
        owners = owner_choices(organization=self.organization)
        context: dict[str, Any] = {
            "form": form,
            "owners": owners,
            "segments": Segment.choices,
            "presets": [(key, label, *preset_period(key, today)) for key, label in PRESETS],
        }
        if not form.is_valid():
            return render(request, "renewals/retention_report.html", context, status=400)
        data = form.cleaned_data
        filters = form.filters()
        start, end = data["start"], data["end"]
        figures = retention.retention_report(
            organization=self.organization, start=start, end=end, filters=filters
        )
        series = retention.retention_series(
            organization=self.organization,
            start=start,
            end=end,
            interval=data["interval"],
            basis=data["basis"],
            filters=filters,
        )
        owner_names = {m.pk: m.user.display_name for m in owners}
        segment_names = dict(Segment.choices)
        by_segment = [
            (segment_names.get(key, _("No segment")), row)
            for key, row in retention.retention_breakdown(
                organization=self.organization,
                start=start,
                end=end,
                dimension="segment",
                filters=filters,
            )
        ]
        by_owner = [
            (owner_names.get(key, _("Unassigned")), row)
            for key, row in retention.retention_breakdown(
                organization=self.organization,
                start=start,
                end=end,
                dimension="owner",
                filters=filters,
            )
        ]
        offsets, cohorts = retention.cohort_grid(
            organization=self.organization, today=today, filters=filters
        )
        query = request.GET.copy()
        query.pop("preset", None)
        query["start"], query["end"] = start.isoformat(), end.isoformat()
        context.update(
            figures=figures,
            series=series,
            by_segment=by_segment,
            by_owner=by_owner,
            offsets=offsets,
            cohorts=cohorts,
            querystring=query.urlencode(),
            chart_data={
                # trailing12 points are named by the day their twelve months end
                "labels": [
                    (
                        point.end if data["basis"] == retention.BASIS_TRAILING12 else point.start
                    ).isoformat()
                    for point in series
                ],
                "grr": [point.grr for point in series],
                "nrr": [point.nrr for point in series],
                "bridge": {
                    "start": figures.starting_arr_cents / 100,
                    "expansion": figures.expansion_arr_cents / 100,
                    "contraction": figures.contraction_arr_cents / 100,
                    "churn": figures.churned_arr_cents / 100,
                    "end": figures.ending_arr_cents / 100,
                },
                "period": [start.isoformat(), end.isoformat()],
                "labels_text": {
                    "grr": _("GRR"),
                    "nrr": _("NRR"),
                    "start": _("Starting ARR"),
                    "expansion": _("+ Expansion"),
                    "contraction": _("− Contraction"),
                    "churn": _("− Churn"),
                    "end": _("Ending ARR"),
                },
            },
        )
        return render(request, "renewals/retention_report.html", context)


class RetentionMovementsPageView(TenantView):
    """The drill-down: every account behind the figures, with its contracts."""

    read_role = Role.MANAGER
    write_role = Role.MANAGER

    def get(self, request):
        today = services.organization_today(self.organization)
        form = RetentionQueryForm(request.GET, organization=self.organization, today=today)
        context: dict[str, Any] = {"form": form}
        if not form.is_valid():
            return render(request, "renewals/retention_movements.html", context, status=400)
        data = form.cleaned_data
        page_number = id_parse(request.GET.get("page", "1")) or 1
        offset = (page_number - 1) * MOVEMENTS_PAGE_SIZE
        result = retention.retention_movements(
            organization=self.organization,
            start=data["start"],
            end=data["end"],
            filters=form.filters(),
            category=data.get("category") or "",
            offset=offset,
            limit=MOVEMENTS_PAGE_SIZE,
        )
        pages = max(1, -(-result.total // MOVEMENTS_PAGE_SIZE))
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("preset", None)
        query.pop("category", None)
        query["start"], query["end"] = data["start"].isoformat(), data["end"].isoformat()
        context.update(
            category=data.get("category") or "",
            start=data["start"],
            end=data["end"],
            result=result,
            page_number=page_number,
            pages=pages,
            previous_page=page_number - 1 if page_number > 1 else None,
            next_page=page_number + 1 if page_number < pages else None,
            querystring=query.urlencode(),
            categories=[(c, retention.CATEGORY_LABELS[c]) for c in retention.PERIOD_CATEGORIES],
        )
        return render(request, "renewals/retention_movements.html", context)


EXPORT_TABLES = ("summary", "series", "segments", "owners", "cohorts", "movements")


class RetentionExportView(TenantView):
    """CSV of any table of the report: ?table=summary|series|segments|owners|cohorts|movements
    with the report's own period and filters."""

    read_role = Role.MANAGER
    write_role = Role.MANAGER

    def get(self, request):
        today = services.organization_today(self.organization)
        form = RetentionQueryForm(request.GET, organization=self.organization, today=today)
        table = request.GET.get("table") or "summary"
        if table not in EXPORT_TABLES or not form.is_valid():
            problems = [str(m) for errors in form.errors.values() for m in errors]
            if table not in EXPORT_TABLES:
                problems.append(_("Unknown table."))
            return HttpResponse(
                "\n".join(problems), status=400, content_type="text/plain; charset=utf-8"
            )
        data = form.cleaned_data
        rows = self._rows(table, data, form.filters(), today)
        response = StreamingHttpResponse(
            csv_io.csv_lines(rows), content_type="text/csv; charset=utf-8"
        )
        filename = f"retention-{table}-{data['start']}-{data['end']}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    FIGURE_HEADER = (
        "start",
        "end",
        "basis",
        "accounts",
        "starting_arr",
        "expansion_arr",
        "contraction_arr",
        "churned_arr",
        "ending_arr",
        "grr",
        "nrr",
        "logo_churn",
        "churned_accounts",
        "new_accounts",
        "new_arr",
    )

    @staticmethod
    def _figure_row(figures: retention.RetentionFigures) -> list:
        def money(value: int) -> str:
            return f"{value / 100:.2f}"

        def ratio(value: float | None) -> str:
            return "" if value is None else f"{value:.4f}"

        return [
            figures.start.isoformat(),
            figures.end.isoformat(),
            figures.basis,
            figures.accounts,
            money(figures.starting_arr_cents),
            money(figures.expansion_arr_cents),
            money(figures.contraction_arr_cents),
            money(figures.churned_arr_cents),
            money(figures.ending_arr_cents),
            ratio(figures.grr),
            ratio(figures.nrr),
            ratio(figures.logo_churn),
            figures.churned_accounts,
            figures.new_accounts,
            money(figures.new_arr_cents),
        ]

    def _rows(self, table, data, filters, today):
        organization = self.organization
        start, end = data["start"], data["end"]
        if table == "summary":
            figures = retention.retention_report(
                organization=organization, start=start, end=end, filters=filters
            )
            causes = figures.as_dict()["expansion_by_cause_cents"]
            return [
                [
                    *self.FIGURE_HEADER,
                    "expansion_seats",
                    "expansion_price",
                    "expansion_new_plan_or_add_on",
                ],
                [
                    *self._figure_row(figures),
                    f"{causes['seats'] / 100:.2f}",
                    f"{causes['price'] / 100:.2f}",
                    f"{causes['new_plan_or_add_on'] / 100:.2f}",
                ],
            ]
        if table == "series":
            points = retention.retention_series(
                organization=organization,
                start=start,
                end=end,
                interval=data["interval"],
                basis=data["basis"],
                filters=filters,
            )
            return [list(self.FIGURE_HEADER), *[self._figure_row(p) for p in points]]
        if table in ("segments", "owners"):
            names = dict(Segment.choices) if table == "segments" else _owner_names(organization)
            breakdown = retention.retention_breakdown(
                organization=organization,
                start=start,
                end=end,
                dimension="segment" if table == "segments" else "owner",
                filters=filters,
            )
            return [
                [table[:-1], *self.FIGURE_HEADER],
                *[[str(names.get(key, key or "")), *self._figure_row(f)] for key, f in breakdown],
            ]
        if table == "cohorts":
            offsets, cohorts = retention.cohort_grid(
                organization=organization, today=today, filters=filters
            )
            header = ["go_live_quarter", "accounts", "starting_arr"]
            header += [f"arr_m{m}" for m in offsets] + [f"nrr_m{m}" for m in offsets]
            body = []
            for row in cohorts:
                body.append(
                    [
                        row.quarter,
                        row.accounts,
                        f"{row.starting_arr_cents / 100:.2f}",
                        *["" if arr is None else f"{arr / 100:.2f}" for _m, arr, _r in row.cells],
                        *["" if nrr is None else f"{nrr:.4f}" for _m, _a, nrr in row.cells],
                    ]
                )
            return [header, *body]
        page = retention.retention_movements(
            organization=organization,
            start=start,
            end=end,
            filters=filters,
            category=data.get("category") or "",
            limit=None,
        )

        def movement_rows():
            yield [
                "account_id",
                "account",
                "category",
                "arr_start",
                "arr_end",
                "change",
                "contracts",
            ]
            for row in page.rows:
                yield [
                    row.account_id,
                    csv_io.exporting._safe_cell(row.account_name),
                    row.category,
                    f"{row.arr_s / 100:.2f}",
                    f"{row.arr_e / 100:.2f}",
                    f"{row.change / 100:.2f}",
                    "; ".join(
                        f"#{c.pk} {c.kind} {c.start_date}→{c.end_date} {c.arr_cents / 100:.2f}"
                        for c in row.contracts
                    ),
                ]

        return movement_rows()
