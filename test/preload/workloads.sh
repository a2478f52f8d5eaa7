# SPDX-License-Identifier: BSD-2-Clause
# workloads.sh: the real-program workloads that test/preload/real-*.sh run
# under libmemtier and test/bench/preload_bench.sh times (sourced, not
# run).  Each workload is deterministic: its output is the same on every
# run, with or without the preload.
#
#   wl_prepare NAME DIR   writes the inputs of workload NAME into DIR
#   wl_run NAME DIR       runs it (from a fresh state) and prints results
#   wl_need NAME          prints the programs NAME needs
#
# Names (WL_NAMES): python3 (allocation-heavy script), sqlite3 (create,
# insert 200000 rows, index, query a database file), sort (a 50 MB file),
# gzip (gzip/gunzip round trip of 8 MB), git (init, twenty commits, branch,
# merge, log, diff, gc), perl (allocation-heavy script).

WL_NAMES="python3 sqlite3 sort gzip git perl"

# Debian's python3; a python3 elsewhere on PATH may be a wrapper script.
if [ -x /usr/bin/python3 ]; then
    WL_PYTHON=/usr/bin/python3
else
    WL_PYTHON=python3
fi

wl_need()
{
    case $1 in
        python3) echo "$WL_PYTHON" ;;
        sqlite3) echo sqlite3 ;;
        sort) echo sort awk md5sum ;;
        gzip) echo gzip gunzip awk md5sum ;;
        git) echo git seq sed ;;
        perl) echo perl ;;
    esac
}

wl_prepare()
{
    case $1 in
        python3) cat > "$2/heavy.py" <<'PY'
import collections, hashlib, json, random
random.seed(7)
d = {str(i): [i, str(i) * (i % 7), {"k": i}] for i in range(150000)}
s = json.dumps(d)
print(len(s), len(json.loads(s)))
words = ["".join(random.choice("abcdefghij") for _ in range(random.randint(1, 12)))
         for _ in range(100000)]
print(collections.Counter(words).most_common(3))
words.sort(key=lambda w: (len(w), w))
print(words[:3], words[-3:], hashlib.sha256("".join(words).encode()).hexdigest())
x = 1
for i in range(1, 2500):
    x *= i
print(x.bit_length(), x % 1000003)
b = bytearray()
for i in range(100000):
    b += i.to_bytes(4, "little")
print(hashlib.md5(b).hexdigest())
class Node:
    __slots__ = ("v", "next")
    def __init__(self, v, n):
        self.v, self.next = v, n
head = None
for i in range(200000):
    head = Node(i, head)
total = 0
while head:
    total += head.v
    head = head.next
print(total)
PY
            ;;
        sqlite3) cat > "$2/q.sql" <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, blob BLOB);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
  INSERT INTO t(grp, name, blob)
  SELECT x % 97, printf('name-%08d-%s', x, hex(x * 2654435761 % 4294967296)),
         zeroblob(x % 300) FROM c;
CREATE INDEX t_grp ON t(grp, name);
SELECT count(*), sum(length(name)), sum(length(blob)) FROM t;
SELECT grp, count(*), min(name), max(name) FROM t GROUP BY grp ORDER BY grp LIMIT 10;
SELECT a.grp, count(*) FROM t a JOIN t b ON a.id = b.id + 1 AND a.grp = b.grp + 1
  GROUP BY a.grp ORDER BY 2 DESC, 1 LIMIT 5;
SELECT name FROM t WHERE grp = 42 ORDER BY name DESC LIMIT 5;
SELECT group_concat(name, ',') FROM (SELECT name FROM t ORDER BY id LIMIT 2000);
SQL
            ;;
        sort) awk 'BEGIN { srand(11); for (i = 0; i < 1200000; i++)
                printf "%08d %s %d %s\n", int(rand() * 1e8),
                    substr("abcdefghijklmnopqrstuvwxyz", 1 + int(rand() * 20), 6),
                    i, "tiered-memory-line" }' > "$2/in.txt"
            ;;
        gzip) awk 'BEGIN { srand(5); for (i = 0; i < 400000; i++)
                printf "%d,%s,%.6f\n", i, (rand() < 0.5 ? "heads" : "tails"), rand() }' \
                > "$2/data.csv"
            ;;
        git) cat > "$2/git.sh" <<'SH'
set -e
rm -rf "$1/repo"
mkdir "$1/repo"
cd "$1/repo"
git -c init.defaultBranch=main init -q
for i in $(seq 1 20); do
    seq "$i" 3 30000 | sed "s/^/line $i: /" > "file$((i % 5)).txt"
    git add -A
    git commit -q -m "commit $i"
done
git checkout -q -b topic HEAD~5
echo topic > topic.txt
git add topic.txt
git commit -q -m topic
git checkout -q main
git merge -q --no-edit topic
git log --stat --format='%H %s' | head -n 60
git diff HEAD~3 --stat
git gc -q
git count-objects -v | grep -v size
git fsck --no-progress
SH
            ;;
        perl) cat > "$2/heavy.pl" <<'PL'
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);
srand(3);
my %h;
for my $i (1 .. 200000) {
    my $k = sprintf("key%07d", ($i * 7919) % 1000003);
    push @{ $h{ substr($k, 0, 6) } }, $k x (1 + $i % 3);
}
print scalar(keys %h), "\n";
my @all = sort { length($a) <=> length($b) || $a cmp $b } map { @$_ } values %h;
print scalar(@all), " ", md5_hex(join(",", @all)), "\n";
my $text = join(" ", map { int(rand(1e6)) } 1 .. 200000);
my @m = ($text =~ /\b(\d{3}7)\b/g);
print scalar(@m), "\n";
(my $t2 = $text) =~ s/(\d+)/<$1>/g;
print length($t2), " ", md5_hex($t2), "\n";
my @s;
push @s, [ $_, "x" x ($_ % 100) ] for 1 .. 100000;
print scalar(grep { length($_->[1]) > 50 } @s), "\n";
PL
            ;;
    esac
}

wl_run()
{
    case $1 in
        python3) "$WL_PYTHON" "$2/heavy.py" ;;
        sqlite3) rm -f "$2/test.db" && sqlite3 "$2/test.db" ".read $2/q.sql" ;;
        sort) LC_ALL=C sort -k2,2 -k1,1n "$2/in.txt" -o "$2/in.sorted" &&
              md5sum < "$2/in.sorted" ;;
        gzip) gzip -6 -c "$2/data.csv" > "$2/data.csv.gz" &&
              wc -c < "$2/data.csv.gz" &&
              gunzip -c "$2/data.csv.gz" | md5sum && md5sum < "$2/data.csv" ;;
        git) (
                HOME=$2 GIT_CONFIG_NOSYSTEM=1
                GIT_AUTHOR_NAME=Tier GIT_AUTHOR_EMAIL=tier@example.org
                GIT_COMMITTER_NAME=Tier GIT_COMMITTER_EMAIL=tier@example.org
                GIT_AUTHOR_DATE="2024-01-01T00:00:00 +0000"
                GIT_COMMITTER_DATE="2024-01-01T00:00:00 +0000"
                export HOME GIT_CONFIG_NOSYSTEM GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL \
                    GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_AUTHOR_DATE \
                    GIT_COMMITTER_DATE
                sh "$2/git.sh" "$2"
            ) ;;
        perl) perl "$2/heavy.pl" ;;
        *) echo "wl_run: unknown workload $1" >&2; return 2 ;;
    esac
}
