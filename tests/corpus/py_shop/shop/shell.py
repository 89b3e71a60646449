import os
import shlex
import subprocess

CONVERT = "/usr/bin/convert"


def thumbnail(image):
    command = CONVERT + " " + image + " -resize 64x64 thumb.png"
    os.system(command)  # tavo-label: vuln command-injection
    return "ok"


def archive_orders(month):
    quoted = shlex.quote(month)
    subprocess.run("tar czf /backups/orders.tgz /data/orders/" + quoted, shell=True)  # tavo-label: safe command-injection
    return "ok"


def disk_usage():
    return subprocess.run("df -h /data", shell=True, capture_output=True).stdout  # tavo-label: safe command-injection
