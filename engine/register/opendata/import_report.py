"""What an import reports: the counts, each fiche skipped and why, the elements not kept."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SkippedFiche:
    position: int  # 1 for the first FICHE of the file
    numero: str | None
    element: str
    reason: str

    @property
    def message(self) -> str:
        who = (
            f"Fiche {self.numero}"
            if self.numero
            else f"Fiche n° {self.position} du fichier (sans NUMERO_FICHE)"
        )
        return f"{who} ignorée — élément {self.element}\u00a0: {self.reason}."


@dataclass
class ImportReport:
    file: str
    version_flux: str | None = None
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[SkippedFiche] = field(default_factory=list)
    links: int = 0  # precedente_id resolved by this import
    # Paths of the elements we do not model, kept as they came (exported back).
    kept_elements: Counter[str] = field(default_factory=Counter)

    @property
    def imported(self) -> int:
        return self.created


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number < 2 else plural}"


def summary(report: ImportReport) -> list[str]:
    """The report in French, one line each: counts, skipped fiches, elements not kept."""
    version = f" (VERSION_FLUX {report.version_flux})" if report.version_flux else ""
    lines = [
        f"Import de «\u00a0{report.file}\u00a0»{version}\u00a0: "
        f"{_count(report.read, 'fiche lue', 'fiches lues')}.",
        f"  importées\u00a0: {report.created}",
        f"  mises à jour\u00a0: {report.updated}",
        f"  inchangées\u00a0: {report.unchanged}",
        f"  ignorées\u00a0: {len(report.skipped)}",
        f"  liens de renouvellement établis\u00a0: {report.links}",
    ]
    if report.skipped:
        lines.append("Fiches ignorées\u00a0:")
        lines.extend(f"  {skipped.message}" for skipped in report.skipped)
    if report.kept_elements:
        kept = ", ".join(
            f"{path} ({_count(count, 'fiche', 'fiches')})"
            for path, count in sorted(report.kept_elements.items())
        )
        lines.append(
            f"Éléments gardés tels quels, sans être affichés, et réexportés\u00a0: {kept}."
        )
    return lines
