"""A scorecard as JSON, CSV and a one-page PDF for presales (the HTML page printed by headless Chromium)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from fleetops.errors import ExternalError, NotConfigured
from fleetops.suppliers.scorecard import Scorecard

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PDF_TIMEOUT_S = 60
CSV_FIELDS = [
    "supplier",
    "period_start",
    "period_end",
    "metric",
    "unit",
    "value",
    "rating",
    "previous",
    "trend",
    "basis",
]


def as_dict(card: Scorecard) -> dict[str, Any]:
    req = card.requirements
    return {
        "supplier": card.supplier,
        "period": {"start": card.period.start.isoformat(), "end": card.period.end.isoformat()},
        "rating": card.rating.value,
        "requirements": {
            "version": req.version,
            "acknowledged_by": req.acknowledged_by,
            "acknowledged_at": req.acknowledged_at.isoformat() if req.acknowledged_at else None,
            "flagged": req.flagged,
        },
        "metrics": [
            {
                "name": m.name,
                "label": m.label,
                "unit": m.unit,
                "value": m.now.value,
                "basis": m.now.basis,
                "rating": m.rating.value,
                "previous": m.before.value,
                "previous_basis": m.before.basis,
                "trend": m.trend.value,
            }
            for m in card.metrics
        ],
    }


def as_csv(cards: list[Scorecard]) -> str:
    """One row per supplier and metric: what a spreadsheet pivots on."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for card in cards:
        for m in card.metrics:
            writer.writerow(
                {
                    "supplier": card.supplier,
                    "period_start": card.period.start.isoformat(),
                    "period_end": card.period.end.isoformat(),
                    "metric": m.name,
                    "unit": m.unit,
                    "value": "" if m.now.value is None else round(m.now.value, 4),
                    "rating": m.rating.value,
                    "previous": "" if m.before.value is None else round(m.before.value, 4),
                    "trend": m.trend.value,
                    "basis": m.now.basis,
                }
            )
    return buffer.getvalue()


def as_pdf(html: str) -> bytes:
    """Print a self-contained page (no external resources) with the Chromium the host has installed."""
    browser = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    if browser is None:
        raise NotConfigured(f"PDF export: no headless browser found (looked for {', '.join(BROWSERS)})")
    with tempfile.TemporaryDirectory(prefix="fleetops-pdf-") as folder:
        page, pdf = Path(folder) / "card.html", Path(folder) / "card.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={folder}/profile",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=PDF_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ExternalError(f"PDF export: {browser} did not finish in {PDF_TIMEOUT_S} s") from exc
        if not pdf.is_file() or pdf.stat().st_size == 0:
            raise ExternalError(f"PDF export: {browser} wrote no PDF")
        return pdf.read_bytes()
