"""Creates the store argv[1] holding the JSON state argv[2] (self-cleaning with "clean" as
argv[3]), prints "published", and keeps it open until its stdin closes."""

import json
import sys

from shmstate import Store

with Store.create(sys.argv[1], json.loads(sys.argv[2]), self_cleaning=sys.argv[3:] == ["clean"]):
    print("published", flush=True)
    sys.stdin.read()
