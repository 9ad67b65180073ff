#!/usr/bin/env bash
# The main job: installs what is missing, builds Kiln, starts a development hub (managed
# PostgreSQL, topdir, admin user, certificates) with one builder in .kiln-dev, shows the stock
# koji client talking to it, runs a sample RPM build and a sample module build from git
# repositories, and keeps the hub running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo build --release --locked --bins 2>&1 | tail -n 3

dir=${KILN_DEV_DIR:-$PWD/.kiln-dev}
listen=${KILN_LISTEN:-127.0.0.1:8080}
target/release/kiln-hub dev --dir "$dir" --listen "$listen" --builders 1 &
hub_pid=$!
trap 'kill $hub_pid 2>/dev/null; wait $hub_pid 2>/dev/null' EXIT INT TERM

koji=(.venv/bin/koji -c "$dir/koji.conf")
for _ in $(seq 1 120); do
    "${koji[@]}" version >/dev/null 2>&1 && break
    kill -0 $hub_pid 2>/dev/null || { echo "demo: the hub did not start" >&2; exit 1; }
    sleep 0.5
done
password=$(cat "$dir/admin-password")
echo "== koji hello (password)"
"${koji[@]}" --user admin --password "$password" hello
echo "== koji hello (client certificate)"
"${koji[@]}" -p kiln-cert hello

echo "== a sample RPM build"
admin=("${koji[@]}" --user admin --password "$password")
arch=$(uname -m)
work="$dir/demo-build"
mkdir -p "$work"
if ! "${koji[@]}" list-targets --name demo --quiet 2>/dev/null | grep -q demo; then
    # Bootstrap as Koji's docs describe it: tags, a target, the build groups, and the
    # packages the groups name imported from outside. On a Debian builder the compiler comes
    # from the host, so build-tools only provides the tools' names.
    cat > "$work/build-tools.spec" <<'SPEC'
Name: build-tools
Version: 1.0
Release: 1
Summary: Names the builder host's tools for BuildRequires
License: MIT
BuildArch: noarch
Provides: gcc make bash coreutils sed grep gawk tar gzip findutils diffutils patch rpm-build
%description
Names the builder host's tools for BuildRequires.
%files
SPEC
    rpmbuild -ba --quiet --define "_topdir $work/rpmbuild" \
        --define "_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" "$work/build-tools.spec"
    "${admin[@]}" add-tag demo-dest --arches "$arch"
    "${admin[@]}" add-tag demo-build --parent demo-dest --arches "$arch"
    "${admin[@]}" edit-tag demo-build -x rpm.macro.dist=.demo
    "${admin[@]}" add-target demo demo-build demo-dest
    "${admin[@]}" add-pkg --owner admin demo-dest build-tools hello
    for group in build srpm-build; do
        "${admin[@]}" add-group demo-build "$group"
        "${admin[@]}" add-group-pkg demo-build "$group" build-tools
    done
    "${admin[@]}" import "$work"/rpmbuild/SRPMS/build-tools-1.0-1.src.rpm "$work"/rpmbuild/RPMS/build-tools-1.0-1.noarch.rpm
    "${admin[@]}" tag-build demo-dest build-tools-1.0-1
    "${admin[@]}" regen-repo --wait demo-build
fi
# A package in git, with a fresh release each run (an NVR builds once).
release=$(date +%Y%m%d%H%M%S)
rm -rf "$work/hello" "$work/hello.git"
mkdir -p "$work/hello"
cat > "$work/hello/hello.spec" <<SPEC
Name: hello
Version: 1.0
Release: $release%{?dist}
Summary: A greeting
License: MIT
BuildArch: noarch
Source0: greeting.txt
%description
A greeting, built by Kiln.
%prep
%build
%install
install -D -m 644 %{SOURCE0} %{buildroot}/usr/share/hello/greeting.txt
%files
/usr/share/hello
SPEC
echo "Hello from Kiln." > "$work/hello/greeting.txt"
git -C "$work/hello" init -q -b main
git -C "$work/hello" add -A
git -C "$work/hello" -c user.name=demo -c user.email=demo@kiln.invalid commit -q -m "hello $release"
git clone -q --bare "$work/hello" "$work/hello.git"
commit=$(git -C "$work/hello.git" rev-parse HEAD)
"${admin[@]}" build --wait demo "git+file://$work/hello.git#$commit"
"${koji[@]}" buildinfo "hello-1.0-$release.demo"
"${koji[@]}" list-tagged demo-dest

echo "== a sample module build (two components in two batches, built by the same builder)"
kiln=(target/release/kiln -c "$dir/koji.conf" --user admin --password "$password")
# The platform the module builds on: the demo build tag, imported as a bootstrap module.
"${kiln[@]}" module-import --tag demo-build platform:demo
stamp=$(date +%Y%m%d%H%M%S)
for name in demo-lib demo-app; do
    rm -rf "$work/rpms/$name"
    mkdir -p "$work/rpms/$name"
    requires=""
    [ "$name" = demo-app ] && requires="BuildRequires: demo-lib"
    cat > "$work/rpms/$name/$name.spec" <<SPEC
Name: $name
Version: 1.0
Release: 1%{?dist}
Summary: $name, part of the demo module
License: MIT
BuildArch: noarch
$requires
%description
$name, built in a module by Kiln.
%prep
%build
%install
mkdir -p %{buildroot}/usr/share/$name
echo "$name $stamp" > %{buildroot}/usr/share/$name/$name.txt
%files
/usr/share/$name
SPEC
    git -C "$work/rpms/$name" init -q -b main
    git -C "$work/rpms/$name" add -A
    git -C "$work/rpms/$name" -c user.name=demo -c user.email=demo@kiln.invalid commit -q -m "$name $stamp"
done
module_dir="$work/modules/demo-module"
rm -rf "$module_dir"
mkdir -p "$module_dir"
cat > "$module_dir/demo-module.yaml" <<YAML
document: modulemd
version: 2
data:
  summary: The Kiln demo module
  description: Two packages, the second built against the first.
  license:
    module: [MIT]
  dependencies:
  - buildrequires:
      platform: [demo]
    requires:
      platform: [demo]
  components:
    rpms:
      demo-lib:
        rationale: The library.
        repository: git+file://$work/rpms/demo-lib
        buildorder: 0
      demo-app:
        rationale: Needs the library to build.
        repository: git+file://$work/rpms/demo-app
        buildorder: 10
YAML
git -C "$module_dir" init -q -b main
git -C "$module_dir" add -A
git -C "$module_dir" -c user.name=demo -c user.email=demo@kiln.invalid commit -q -m "demo module $stamp"
module_commit=$(git -C "$module_dir" rev-parse HEAD)
"${kiln[@]}" module-build --watch --interval 2 "git+file://$module_dir?#$module_commit" main

echo
echo "The hub keeps running at http://$listen/kojihub; press Ctrl-C to stop."
wait $hub_pid
