"""``pdxtui cite ID [--style text|bibtex|csl-json] [--json]``: a citation for a dataset, from the same facts as the
provenance record every export writes (``pdxtui.provenance``): publisher, title, portal, the date retrieved (today,
UTC), the page URL and the licence.

Exit codes: 0 printed; 1 the dataset is unknown or the portal failed; 2 a usage error. Cheap to import: the
citation needs neither polars nor the export code.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

STYLES = ("text", "bibtex", "csl-json")  # pdxtui.provenance.STYLES (not imported here: --help stays cheap)

DESCRIPTION = """\
Print a citation for a dataset: who published it, its title, the portal, the date retrieved (today,
UTC), its page and its licence, e.g.
  City of Portland, Portland Parks & Recreation. *Street Tree Inventory – Active Records*.
  PortlandMaps Open Data. Retrieved 2026-12-03. https://gis-pdx.opendata.arcgis.com/... Licence: PDDL 1.0
--style bibtex prints an @misc entry (LaTeX specials in the portal's text escaped; a stable key);
--style csl-json a CSL-JSON list of one "dataset" item (Zotero, pandoc --citeproc). Every export's
FILE.provenance.json holds the text citation too."""

EPILOG = """\
Examples:
  pdxtui cite a494697005da9eea74335a369b0e3689_1415
  pdxtui --portal chicago cite ijzp-q8t2 --style bibtex >> refs.bib
  pdxtui cite ID --style csl-json > dataset.json"""


def register(subparsers: Any, common: Any) -> None:
    p = subparsers.add_parser(
        "cite",
        help="a citation for a dataset (text, BibTeX or CSL-JSON)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p, top=False)
    p.add_argument("id", help="dataset id")
    p.add_argument("--style", choices=STYLES, default="text", help="text (default), bibtex or csl-json")
    p.add_argument("--json", action="store_true", help='print {"id", "style", "citation"} as JSON')


async def run(args: argparse.Namespace, session: Any, service: Any) -> int:
    import json

    from pdxtui.config import known_secrets
    from pdxtui.provenance import build_record, citation, citation_text, source_for

    dataset = await service.dataset(args.id)
    record = build_record(dataset, source_for(service, secrets=known_secrets(session.config)))
    if args.json:
        print(json.dumps({"id": dataset.id, "style": args.style, "citation": citation(record, args.style)}))
    else:
        print(citation_text(record, args.style).rstrip("\n"))
    if dataset.sample:
        print("pdxtui: note: a dataset of the bundled sample snapshot (its rows are samples)", file=sys.stderr)
    return 0
