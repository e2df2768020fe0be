"""download-file: cmutil (Python, default), wget or curl; md5 + sha256; mirrors; resume; retries."""

import os
import shlex
import shutil


def _urls(env):
    return [env.get(k, "") for k in ("CM_DOWNLOAD_URL", "CM_DOWNLOAD_URL1", "CM_DOWNLOAD_URL2",
                                     "CM_DOWNLOAD_URL3", "CM_DOWNLOAD_URL4") if env.get(k)]


def _checksums(env, n):
    from cmcore.transfer.download import Checksums

    out = [Checksums(env.get("CM_DOWNLOAD_CHECKSUM", ""), env.get("CM_DOWNLOAD_SHA256", ""))]
    for k in range(1, n):
        out.append(Checksums(env.get(f"CM_DOWNLOAD_CHECKSUM{k}", ""), env.get(f"CM_DOWNLOAD_SHA256{k}", "")))
    return out


def preprocess(i):
    from cm_scripts_mlops.lib.common import fail, from_error, is_true

    from cmcore.transfer.download import DownloadError, download_any, filename_from_url, verify_file

    env = i["env"]
    env["CM_DOWNLOAD_CMD"] = ""
    local = env.get("CM_DOWNLOAD_LOCAL_FILE_PATH", "")
    urls = _urls(env)
    checks = _checksums(env, max(1, len(urls)))
    if local:
        if not os.path.isfile(local):
            return fail(f"--local_path file not found: {local}", 16)
        reason = verify_file(local, checks[0])
        if reason:
            return fail(f"checksum failed for the local file: {reason}", 1)
        env["CM_DOWNLOAD_DOWNLOADED_PATH"] = os.path.abspath(local)
        return {"return": 0}
    if not urls:
        return fail("nothing to download: give --url=URL or the _url.URL variation", 16)

    folder = env.get("CM_DOWNLOAD_PATH") or os.getcwd()
    name = env.get("CM_DOWNLOAD_FILENAME") or filename_from_url(urls[0])
    if os.path.basename(name) != name or name in (".", ".."):
        return fail(f"bad output file name {name!r}: give a plain file name", 1)
    dest = os.path.abspath(os.path.join(folder, name))
    env["CM_DOWNLOAD_DOWNLOADED_PATH"] = dest
    env["CM_DOWNLOAD_DOWNLOADED_FILENAME"] = name
    verify_tls = is_true(env.get("CM_VERIFY_SSL", "yes"))
    tool = env.get("CM_DOWNLOAD_TOOL", "cmutil")

    if tool == "cmutil":
        try:
            retries = int(env.get("CM_DOWNLOAD_RETRIES") or 4)
        except ValueError:
            return fail(f"--retries must be a number, not {env.get('CM_DOWNLOAD_RETRIES')!r}", 1)
        try:
            _, used = download_any(urls, dest, checksums=checks, verify_tls=verify_tls, retries=retries,
                                   log=print)
        except DownloadError as e:
            return from_error(e)
        env["CM_DOWNLOAD_URL_USED"] = used
        env["CM_DOWNLOAD_VERIFIED"] = "yes"
        return {"return": 0}

    # wget/curl: an existing good file is kept; otherwise run.sh runs the command built here
    # (every word quoted, so nothing in a URL is interpreted by the shell).
    if os.path.isfile(dest) and any(checks) and verify_file(dest, checks[0]) is None:
        print(f"{dest} is already there and verified; not downloading it again")
        env["CM_DOWNLOAD_VERIFIED"] = "yes"
        return {"return": 0}
    if not shutil.which(tool):
        return fail(f"{tool} not found on PATH: install it or use the default _cmutil downloader", 16)
    part = dest + ".part"
    cmds = []
    for url in urls:
        if tool == "wget":
            words = ["wget", "-nv", "-c", "--tries=3", "-O", part, url]
            if not verify_tls:
                words.insert(1, "--no-check-certificate")
        else:
            words = ["curl", "-fL", "--retry", "3", "-C", "-", "-o", part, url]
            if not verify_tls:
                words.insert(1, "-k")
        cmds.append(" ".join(shlex.quote(w) for w in words))
    env["CM_DOWNLOAD_CMD"] = "( " + " || ".join(cmds) + " ) && mv -f " + shlex.quote(part) + " " + shlex.quote(dest)
    return {"return": 0}


def postprocess(i):
    from cm_scripts_mlops.lib.common import fail

    from cmcore.transfer.download import verify_file

    env = i["env"]
    path = env.get("CM_DOWNLOAD_DOWNLOADED_PATH", "")
    if not path or not os.path.isfile(path):
        return fail(f"download failed: {path or 'no file'} was not created", 2)
    if env.get("CM_DOWNLOAD_VERIFIED") != "yes":
        reason = verify_file(path, _checksums(env, 1)[0])
        if reason:
            os.remove(path)
            return fail(f"checksum failed, bad file deleted: {reason}", 1)
    new_name = env.get("CM_DOWNLOAD_RENAME_FILE", "")
    if new_name:
        target = os.path.join(os.path.dirname(path), new_name)
        os.replace(path, target)
        path = target
        env["CM_DOWNLOAD_DOWNLOADED_PATH"] = path
        env["CM_DOWNLOAD_DOWNLOADED_FILENAME"] = new_name
    if env.get("CM_DOWNLOAD_FINAL_ENV_NAME"):
        env[env["CM_DOWNLOAD_FINAL_ENV_NAME"]] = path
    env["CM_GET_DEPENDENT_CACHED_PATH"] = path
    return {"return": 0}
