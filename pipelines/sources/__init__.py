"""Sources: the landing folder, reading extracts as delivered, and loading them into `raw`.

Flow for each file: hash → skip if already loaded → read every cell as text → type it as the
contract declares → quarantine rows that break a row rule → replace the periods the file covers
→ record provenance (rows read = loaded + quarantined) and contract results.
"""

from pipelines.sources.ingest import IngestSummary, ingest_source
from pipelines.sources.landing import LandingFile, discover

__all__ = ["IngestSummary", "LandingFile", "discover", "ingest_source"]
