"""Several daemons sharing one province through leases in PostgreSQL (docs/scaling.md)."""

from broadcastd.coordination.coordinator import Coordinator, Identity
from broadcastd.coordination.owners import Province, province

__all__ = ["Coordinator", "Identity", "Province", "province"]
