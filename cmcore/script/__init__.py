"""The script automation: CM-FORMAT §3 run semantics for the CM and MLC dialects."""
