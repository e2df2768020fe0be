"""``cm gui``: a local web GUI on 127.0.0.1 (Starlette + uvicorn; ``pip install 'cmcore[gui]'``).

Browse scripts and build ``cmr`` commands, start harness runs and sweeps and follow them,
compare results (local and official) in tables and plots, assemble and check a submission.
"""
