"""8 processes adding, updating and searching at once lose nothing and never see a corrupt index."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from test_db_support import make_repo, write_artifact

from cmcore import shardfile

WORKER = textwrap.dedent('''
    import sys
    from cmcore.session import Session

    home, wid, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    problems = []
    s = Session(home=home)  # the index lives on disk: every search re-reads it
    for k in range(n):
        s.db.add("demo", f"w{wid}-{k}", tags=["conc", f"w{wid}"])
        mine = {a.alias for a in s.db.search("demo", tags=f"w{wid}")}
        want = {f"w{wid}-{j}" for j in range(k + 1)}
        if mine != want:
            problems.append(f"after add {k}: missing {sorted(want - mine)}")
        # everyone's: at least my own, and every hit must really exist with its tag
        for a in s.db.search("demo", tags="conc"):
            if "conc" not in a.meta.get("tags", []):
                problems.append(f"stale hit {a.path}")
        # concurrent read-modify-write of one shared artifact must lose no tag
        shared = s.db.load("demo", "shared")
        s.db.update(shared, {"tags": [f"t{wid}-{k}"]})
    print("\\n".join(problems))
    sys.exit(1 if problems else 0)
''')


def test_eight_processes_add_update_and_search(cm_home, tmp_path):
    from cmcore.session import Session

    root = make_repo(tmp_path / "r", "conc-repo")
    write_artifact(root, "demo", "shared", {"tags": ["shared"]})
    Session(home=cm_home).db.register_repo(root)
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    n = 12
    procs = [subprocess.Popen([sys.executable, str(script), str(cm_home), str(w), str(n)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(8)]
    results = [(p.wait(timeout=600), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code == 0, out + err
        assert "corrupt" not in err and "Traceback" not in err, err
    s = Session(home=cm_home)
    found = s.db.search("demo", tags="conc")
    assert len(found) == 8 * n
    assert len({a.uid for a in found}) == 8 * n
    tags = s.db.load("demo", "shared").meta["tags"]
    assert sorted(t for t in tags if t != "shared") == sorted(f"t{w}-{k}" for w in range(8) for k in range(n))
    # every index file on disk is whole (both checksums hold)
    shards = list((cm_home / "index" / "shards").glob("*.shard"))
    assert shards
    for shard in shards:
        data = shard.read_bytes()
        shardfile.decode_fresh(data)
        shardfile.decode_rows(data)
    # and no staging folder was left behind
    assert not [p for p in (cm_home / "repos" / "local" / "demo").iterdir() if p.name.startswith(".")]


def test_concurrent_adds_of_the_same_name_give_one_winner(cm_home, tmp_path):
    from cmcore.session import Session

    Session(home=cm_home).db.local_repo()
    code = textwrap.dedent('''
        import sys
        from cmcore.errors import CMError
        from cmcore.session import Session
        try:
            Session(home=sys.argv[1]).db.add("demo", "same-name", meta={"who": sys.argv[2]})
            print("won")
        except CMError as e:
            print("lost", e.code)
    ''')
    procs = [subprocess.Popen([sys.executable, "-c", code, str(cm_home), str(w)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for w in range(6)]
    outs = [p.communicate(timeout=300)[0].strip() for p in procs]
    assert outs.count("won") == 1, outs
    assert sorted(o for o in outs if o != "won") == ["lost 8"] * 5
    art = Session(home=cm_home).db.load("demo", "same-name")
    assert art.meta["who"] in {str(w) for w in range(6)}
