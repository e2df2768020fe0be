"""Moving bytes safely: verified, resumable downloads and archive extraction that refuses
to write outside its target. Used by the ``utils`` automation and by script collections."""
