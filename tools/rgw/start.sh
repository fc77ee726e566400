#!/usr/bin/env bash
# Starts a one-node Ceph cluster with a RADOS Gateway (S3) on 127.0.0.1, all under one
# directory, for tests and the objectstore bench: one monitor, one OSD (BlueStore on a file)
# and radosgw. Installs Debian's ceph packages when missing. Prints "endpoint http://..."
# once the gateway answers and the user exists. Stop it with tools/rgw/stop.sh <dir>.
#   tools/rgw/start.sh <dir> <port> [access-key] [secret-key]
# Why each setting is here: ../shared/S3.md (every one was needed on this machine).
set -euo pipefail
dir=$(realpath -m "$1"); port=$2
access=${3:-quire-test}; secret=${4:-quire-test-secret}
mon_v2=$((port + 1)); mon_v1=$((port + 2))

if ! command -v radosgw >/dev/null || ! command -v ceph-osd >/dev/null || ! command -v uuidgen >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    ceph-mon ceph-osd radosgw ceph-common uuid-runtime) >/dev/null
fi

mkdir -p "$dir"/{mon,osd,rgw,run,log}
fsid=$(uuidgen)
conf="$dir/ceph.conf"
cat > "$conf" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
ms mon client mode = crc secure
ms client mode = crc secure
ms mon service mode = crc secure
ms mon cluster mode = crc secure
ms service mode = crc secure
ms cluster mode = crc secure
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon max pg per osd = 1000
osd crush chooseleaf type = 0
mon data avail warn = 1
mon data avail crit = 0
run dir = $dir/run
log file = $dir/log/\$name.log
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
keyring = $dir/keyring

[mon.a]
mon data = $dir/mon

[osd.0]
osd data = $dir/osd
bluestore block path = $dir/osd-block
bluestore block create = true
bluestore block size = 4294967296
bluestore fsck on mount = false
osd memory target = 1073741824
bluestore cache autotune = false
bluestore cache size = 134217728

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $dir/rgw
CONF

ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring" >/dev/null 2>&1
ceph-mon -c "$conf" -i a -f > "$dir/log/mon.out" 2>&1 &
echo $! > "$dir/run/mon.daemon"

osd_uuid=$(uuidgen)   # the OSD must be made with the uuid the monitor registered, or its boot is refused as a clash
osd_id=$(timeout 60 ceph -c "$conf" osd new "$osd_uuid")
ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1
ceph-osd -c "$conf" -i "$osd_id" -f > "$dir/log/osd.out" 2>&1 &
echo $! > "$dir/run/osd.daemon"
for _ in $(seq 120); do
  ceph -c "$conf" osd stat 2>/dev/null | grep -q "1 up" && break
  sleep 0.5
done

radosgw -c "$conf" -n client.rgw.a -f > "$dir/log/rgw.out" 2>&1 &
echo $! > "$dir/run/rgw.daemon"
for _ in $(seq 240); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.5
done
curl -s -o /dev/null "http://127.0.0.1:$port/" || { echo "radosgw did not start: see $dir/log"; exit 1; }
radosgw-admin -c "$conf" user create --uid=quire --display-name=quire --access-key="$access" --secret-key="$secret" >/dev/null
echo "endpoint http://127.0.0.1:$port"
