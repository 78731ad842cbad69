/* The kickstart generator and the root password handling of `ks new`. */
#include "vn_ks.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- password ---- */

#define PASSWORD_MAX 1024

void vn_ks_wipe_free(char *s)
{
    if (!s)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}

int vn_ks_read_password(const char *path, char **password, vn_error *err)
{
    *password = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return vn_fail(err, VN_EINPUT, path, "cannot read the password file (%s)", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return vn_fail(err, VN_EINPUT, path, "cannot read the password file (%s)", strerror(e));
    }
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        close(fd);
        return vn_fail(err, VN_EINPUT, path, "not a regular file (expected a password file)");
    }
    if (st.st_mode & 077) {
        close(fd);
        return vn_fail(err, VN_EINPUT, path,
                       "mode %04o lets others read the root password (expected 0600: chmod 600 "
                       "'%s')",
                       (unsigned)(st.st_mode & 07777), path);
    }
    char *buf = vn_xcalloc(PASSWORD_MAX + 2, 1);
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, PASSWORD_MAX + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            explicit_bzero(buf, PASSWORD_MAX + 2);
            free(buf);
            return vn_fail(err, VN_EINPUT, path, "cannot read the password file (%s)", strerror(e));
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > PASSWORD_MAX)
            break;
    }
    close(fd);
    const char *why = NULL;
    if (len > PASSWORD_MAX)
        why = "longer than 1024 bytes (expected the root password on one line)";
    else if (memchr(buf, '\0', len))
        why = "has a NUL byte (expected the root password on one line)";
    if (!why) {
        if (len > 0 && buf[len - 1] == '\n')
            buf[--len] = '\0';
        if (len > 0 && buf[len - 1] == '\r')
            buf[--len] = '\0';
        if (len == 0)
            why = "empty (expected the root password on one line)";
        else if (memchr(buf, '\n', len) || memchr(buf, '\r', len))
            why = "has more than one line (expected the root password on one line)";
    }
    if (why) {
        explicit_bzero(buf, PASSWORD_MAX + 2);
        free(buf);
        return vn_fail(err, VN_EINPUT, path, "%s", why);
    }
    *password = buf;
    return VN_OK;
}

int vn_ks_crypt(const char *password, char *hash, size_t size, vn_error *err)
{
    static const char alphabet[] =
        "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    unsigned char rnd[16];
    size_t got = 0;
    while (got < sizeof(rnd)) {
        ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vn_fail(err, VN_ERUNTIME, "getrandom", "no random bytes for the salt (%s)",
                           strerror(errno));
        got += (size_t)n;
    }
    char setting[3 + 16 + 2] = "$6$";
    for (size_t i = 0; i < sizeof(rnd); i++)
        setting[3 + i] = alphabet[rnd[i] & 63]; /* 256 is a multiple of 64: uniform */
    setting[3 + 16] = '$';
    setting[3 + 16 + 1] = '\0';
    struct crypt_data *cd = vn_xcalloc(1, sizeof(*cd));
    const char *h = crypt_r(password, setting, cd);
    int ok = h && strncmp(h, setting, 20) == 0 && strlen(h) < size;
    if (ok)
        memcpy(hash, h, strlen(h) + 1);
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    explicit_bzero(rnd, sizeof(rnd));
    if (!ok)
        return vn_fail(err, VN_ERUNTIME, "crypt", "SHA-512 crypt failed (libcrypt without $6$?)");
    return VN_OK;
}

/* ---- kickstart text ---- */

static void line(vn_buf *b, const char *s)
{
    vn_buf_adds(b, s);
    vn_buf_addc(b, '\n');
}

static void linef(vn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void linef(vn_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    line(b, tmp);
}

/* S5: the shell function shared by %post and %firstboot. It edits the
 * kernelopt line in place and does nothing when the option is already set,
 * so running it twice changes nothing. */
static void legacy_cpu_function(vn_buf *b)
{
    line(b, "# S5: add allowLegacyCPU=true to the kernelopt line of a boot.cfg, once.");
    line(b, "legacy_cpu() {");
    line(b, "    cfg=$1");
    line(b, "    if [ ! -f \"$cfg\" ]; then");
    line(b, "        echo \"vnest: S5: $cfg not found, skipped\"");
    line(b, "        return 0");
    line(b, "    fi");
    line(b, "    if grep -q '^kernelopt=.*allowLegacyCPU=true' \"$cfg\"; then");
    line(b, "        echo \"vnest: S5: $cfg already has allowLegacyCPU=true\"");
    line(b, "    elif grep -q '^kernelopt=.*allowLegacyCPU=' \"$cfg\"; then");
    line(b, "        sed -i -e '/^kernelopt=/s/allowLegacyCPU=[^ ]*/allowLegacyCPU=true/' "
            "\"$cfg\"");
    line(b, "        echo \"vnest: S5: $cfg: allowLegacyCPU set to true\"");
    line(b, "    elif grep -q '^kernelopt=' \"$cfg\"; then");
    line(b, "        sed -i -e '/^kernelopt=/s/$/ allowLegacyCPU=true/' \"$cfg\"");
    line(b, "        echo \"vnest: S5: $cfg: allowLegacyCPU=true added\"");
    line(b, "    else");
    line(b, "        echo 'kernelopt=allowLegacyCPU=true' >>\"$cfg\"");
    line(b, "        echo \"vnest: S5: $cfg: kernelopt=allowLegacyCPU=true added\"");
    line(b, "    fi");
    line(b, "}");
}

static void root_hook(vn_buf *b)
{
    line(b, "# Test hook: VNEST_ROOT (default: empty, the real root) prefixes every file");
    line(b, "# this script edits or runs by path; vnest's tests run it against a simulated");
    line(b, "# ESXi root.");
    line(b, "ROOT=${VNEST_ROOT:-}");
}

static void header(vn_buf *b, const vn_ks_spec *s)
{
    const vn_release *r = s->rel;
    linef(b, "# ESXi %s kickstart for a Nested ESXi lab host, written by vnest ks new.", r->name);
    line(b, "#");
    if (!r->template_clone_ok) {
        line(b, "# Route (S17): from ESXi 7.0 U2 on, cloning an installed ESXi boot disk is");
        line(b, "# unsupported and can corrupt shared VMFS (KB 84280, 84349). This file is the");
        line(b, "# supported route to many nested hosts: install every host fresh from it.");
    } else {
        linef(b, "# Route: for ESXi %s either install every host fresh from this file, or",
              r->name);
        line(b, "# install one, seal it (vnest seal script) and clone it as a template. From");
        line(b, "# ESXi 7.0 U2 on only fresh installs are supported (S17).");
    }
    line(b, "#");
    linef(b, "# Options: --esxi %s --datastore %s --network %s%s%s%s%s", r->name,
          s->keep_datastore ? "keep" : "none",
          s->network == VN_KS_NET_GUESTINFO ? "guestinfo" : "dhcp", s->ssh ? " --ssh" : "",
          s->shell ? " --shell" : "", s->vsan ? " --vsan" : "",
          s->legacy_cpu ? " --legacy-cpu" : "");
    line(b, "# %firstboot does not run when the VM boots with UEFI Secure Boot: keep it off.");
    linef(b, "# Check it with: vnest ks check --esxi %s FILE", r->name);
    line(b, "");
    line(b, "vmaccepteula");
    line(b, "");
    line(b, "# The root password as a SHA-512 crypt hash; the password itself is not stored.");
    linef(b, "rootpw --iscrypted %s", s->rootpw_hash);
    line(b, "");
    if (!s->keep_datastore)
        line(b, "# S9: no VMFS datastore on the boot disk (a datastore's UUID would be cloned).");
    else
        line(b, "# A local VMFS datastore on the boot disk (--datastore keep; not for templates, "
                "S9).");
    if (s->vsan)
        line(b, "# --ignoressd: the flash disks stay free for vSAN's cache and capacity tiers.");
    linef(b, "install --firstdisk --overwritevmfs%s%s", s->keep_datastore ? "" : " --novmfsondisk",
          s->vsan ? " --ignoressd" : "");
    line(b, "");
    line(b, "# DHCP on the first NIC. --addvmportgroup=0: no \"VM Network\" port group, so");
    line(b, "# vSwitch0 holds only the Management Network with vmk0 (S8: no other VMkernel");
    line(b, "# ports).");
    line(b, "network --bootproto=dhcp --device=vmnic0 --addvmportgroup=0");
    line(b, "");
    if (s->keyboard) {
        linef(b, "keyboard '%s'", s->keyboard);
        line(b, "");
    }
    line(b, "reboot");
}

static void post_section(vn_buf *b)
{
    line(b, "");
    line(b, "%post --interpreter=busybox");
    line(b, "# S5: allowLegacyCPU=true for the very first boot of the installed system: the");
    line(b, "# new boot banks, mounted by their labels in the installer (community practice");
    line(b, "# on 7.x and later). A bank that is not there is skipped; %firstboot repeats");
    line(b, "# the edit on /bootbank and /altbootbank.");
    root_hook(b);
    legacy_cpu_function(b);
    line(b, "legacy_cpu \"$ROOT/vmfs/volumes/BOOTBANK1/boot.cfg\"");
    line(b, "legacy_cpu \"$ROOT/vmfs/volumes/BOOTBANK2/boot.cfg\"");
}

static void guestinfo_part(vn_buf *b, const vn_ks_spec *s)
{
    const vn_release *r = s->rel;
    line(b, "");
    line(b, "# S16: this host's identity from the VM's guestinfo.* settings, read through");
    line(b, "# VMware Tools for Nested ESXi, with the keys of the Nested ESXi appliance:");
    line(b, "# hostname, ipaddress, netmask, gateway, dns, domain, ntp, vlan, ssh and");
    line(b, "# createvmfs. Set them as VM advanced settings (extraConfig, or .vmx lines");
    line(b, "# guestinfo.hostname = \"esx-01.lab\"), not as vApp properties. A key that is");
    line(b, "# not set (or set to \"null\") keeps the default: DHCP, no VLAN.");
    line(b, "gi() {");
    line(b, "    v=$(vmtoolsd --cmd \"info-get guestinfo.$1\" 2>/dev/null) || v=");
    line(b, "    if [ \"$v\" = null ]; then");
    line(b, "        v=");
    line(b, "    fi");
    line(b, "    printf '%s' \"$v\"");
    line(b, "}");
    line(b, "is_true() {");
    line(b, "    case $1 in");
    line(b, "    [Tt][Rr][Uu][Ee] | 1 | [Yy][Ee][Ss]) return 0 ;;");
    line(b, "    *) return 1 ;;");
    line(b, "    esac");
    line(b, "}");
    static const char *const keys[] = {"hostname", "ipaddress", "netmask", "gateway", "dns",
                                       "domain",   "ntp",       "vlan",    "ssh",     "createvmfs"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (s->ssh && !strcmp(keys[i], "ssh"))
            continue; /* --ssh: on for every host */
        linef(b, "gi_%s=$(gi %s)", keys[i], keys[i]);
    }
    line(b, "");
    line(b, "if [ -n \"$gi_hostname\" ]; then");
    line(b, "    case $gi_hostname in");
    line(b, "    *.*) fqdn=$gi_hostname ;;");
    line(b, "    *) fqdn=$gi_hostname${gi_domain:+.$gi_domain} ;;");
    line(b, "    esac");
    line(b, "    say \"S16: host name $fqdn\"");
    line(b, "    case $fqdn in");
    line(b, "    *.*) run esxcli system hostname set --fqdn=\"$fqdn\" ;;");
    line(b, "    *) run esxcli system hostname set --host=\"$fqdn\" ;;");
    line(b, "    esac");
    line(b, "fi");
    line(b, "if [ -n \"$gi_vlan\" ]; then");
    line(b, "    say \"S16: VLAN $gi_vlan on the Management Network port group\"");
    line(b, "    run esxcli network vswitch standard portgroup set -p \"Management Network\" "
            "-v \"$gi_vlan\"");
    line(b, "fi");
    line(b, "if [ -n \"$gi_ipaddress\" ] && [ -n \"$gi_netmask\" ]; then");
    line(b, "    say \"S16: vmk0 static $gi_ipaddress netmask $gi_netmask\"");
    line(b, "    run esxcli network ip interface ipv4 set -i vmk0 -t static -I \"$gi_ipaddress\" "
            "-N \"$gi_netmask\"");
    line(b, "    if [ -n \"$gi_gateway\" ]; then");
    line(b, "        say \"S16: default gateway $gi_gateway\"");
    line(b, "        run esxcli network ip route ipv4 add -n default -g \"$gi_gateway\"");
    line(b, "    fi");
    line(b, "elif [ -n \"$gi_ipaddress\" ]; then");
    line(b, "    say \"S16: guestinfo.ipaddress without guestinfo.netmask: vmk0 stays on DHCP\"");
    line(b, "fi");
    line(b, "for server in $(echo \"$gi_dns\" | tr ',' ' '); do");
    line(b, "    say \"S16: DNS server $server\"");
    line(b, "    run esxcli network ip dns server add -s \"$server\"");
    line(b, "done");
    line(b, "if [ -n \"$gi_domain\" ]; then");
    line(b, "    say \"S16: DNS search domain $gi_domain\"");
    line(b, "    run esxcli network ip dns search add -d \"$gi_domain\"");
    line(b, "fi");
    line(b, "if [ -n \"$gi_ntp\" ]; then");
    if (r->id >= VN_ESXI_70U1) {
        line(b, "    set --");
        line(b, "    for server in $(echo \"$gi_ntp\" | tr ',' ' '); do");
        line(b, "        say \"S16: NTP server $server\"");
        line(b, "        set -- \"$@\" -s \"$server\"");
        line(b, "    done");
        line(b, "    run esxcli system ntp set \"$@\" -e true");
    } else {
        linef(b, "    # ESXi %s has no 'esxcli system ntp' (7.0 U1 and later): ntp.conf.", r->name);
        line(b, "    for server in $(echo \"$gi_ntp\" | tr ',' ' '); do");
        line(b, "        say \"S16: NTP server $server\"");
        line(b,
             "        if ! grep -qxF \"server $server\" \"$ROOT/etc/ntp.conf\" 2>/dev/null; then");
        line(b, "            echo \"server $server\" >>\"$ROOT/etc/ntp.conf\"");
        line(b, "        fi");
        line(b, "    done");
        line(b, "    run esxcli network firewall ruleset set -r ntpClient -e true");
        line(b, "    run chkconfig ntpd on");
        line(b, "    run \"$ROOT/etc/init.d/ntpd\" restart");
    }
    line(b, "fi");
}

static void createvmfs_function(vn_buf *b, const vn_ks_spec *s)
{
    line(b, "");
    line(b, "# guestinfo.createvmfs=true: a VMFS datastore on the first disk that has no");
    line(b, "# partition at all (never the boot disk), named HOST-local after the host name");
    line(b, "# (datastore1 without one), using the whole disk.");
    if (s->vsan)
        line(b, "# Flash disks are left alone (--vsan: they are vSAN's).");
    line(b, "create_vmfs() {");
    line(b, "    for dev in \"$ROOT\"/vmfs/devices/disks/*; do");
    line(b, "        [ -e \"$dev\" ] || continue");
    line(b, "        name=${dev##*/}");
    line(b, "        # Skip partitions (NAME:N) and the vml.* aliases of the disks.");
    line(b, "        case $name in");
    line(b, "        vml.*) continue ;;");
    line(b, "        esac");
    line(b, "        case ${name##*:} in");
    line(b, "        \"$name\" | *[!0-9]*) ;;");
    line(b, "        *) continue ;;");
    line(b, "        esac");
    line(b, "        disk=/vmfs/devices/disks/$name");
    if (s->vsan) {
        line(b, "        if esxcli storage core device list -d \"$name\" 2>/dev/null |");
        line(b, "            grep -q 'Is SSD: true'; then");
        line(b, "            continue");
        line(b, "        fi");
    }
    line(b, "        # partedUtil getptbl: a label line, a geometry line, then one line per");
    line(b, "        # partition.");
    line(b, "        table=$(partedUtil getptbl \"$disk\" 2>/dev/null) || continue");
    line(b, "        if [ \"$(echo \"$table\" | awk 'NR > 2' | wc -l)\" -ne 0 ]; then");
    line(b, "            continue");
    line(b, "        fi");
    line(b, "        last=$(partedUtil getUsableSectors \"$disk\" | awk '{print $2}')");
    line(b, "        label=datastore1");
    line(b, "        if [ -n \"$gi_hostname\" ]; then");
    line(b, "            label=${gi_hostname%%.*}-local");
    line(b, "        fi");
    line(b, "        say \"S16: VMFS datastore $label on $disk\"");
    line(b, "        run partedUtil setptbl \"$disk\" gpt \"1 2048 $last "
            "AA31E02A400F11DB9590000C2911D1B8 0\"");
    linef(b, "        run vmkfstools -C %s -S \"$label\" \"$disk:1\"",
          s->rel->id >= VN_ESXI_65 ? "vmfs6" : "vmfs5");
    line(b, "        return 0");
    line(b, "    done");
    line(b, "    say \"S16: guestinfo.createvmfs: no disk without partitions, no datastore\"");
    line(b, "}");
}

static void service_functions(vn_buf *b, int ssh, int shell)
{
    line(b, "");
    line(b, "# vim-cmd needs hostd: wait for it, at most 5 minutes.");
    line(b, "wait_hostd() {");
    line(b, "    n=0");
    line(b, "    while ! vim-cmd hostsvc/runtimeinfo >/dev/null 2>&1; do");
    line(b, "        n=$((n + 1))");
    line(b, "        if [ \"$n\" -ge 30 ]; then");
    line(b, "            say \"hostd did not answer in 5 minutes; going on\"");
    line(b, "            return 0");
    line(b, "        fi");
    line(b, "        sleep 10");
    line(b, "    done");
    line(b, "}");
    if (ssh) {
        line(b, "enable_ssh() {");
        line(b, "    say \"S6: SSH enabled and started\"");
        line(b, "    wait_hostd");
        line(b, "    run vim-cmd hostsvc/enable_ssh");
        line(b, "    run vim-cmd hostsvc/start_ssh");
        line(b, "}");
    }
    if (shell) {
        line(b, "enable_shell() {");
        line(b, "    say \"S6: ESXi Shell enabled and started\"");
        line(b, "    wait_hostd");
        line(b, "    run vim-cmd hostsvc/enable_esx_shell");
        line(b, "    run vim-cmd hostsvc/start_esx_shell");
        line(b, "}");
    }
}

static void suppress_warning(vn_buf *b, const char *indent)
{
    linef(b,
          "%ssay \"S6: no shell-enabled warning in the UI (/UserVars/SuppressShellWarning = 1)\"",
          indent);
    linef(b, "%srun esxcli system settings advanced set -o /UserVars/SuppressShellWarning -i 1",
          indent);
}

static void firstboot_section(vn_buf *b, const vn_ks_spec *s)
{
    int gi = s->network == VN_KS_NET_GUESTINFO;
    line(b, "");
    line(b, "%firstboot --interpreter=busybox");
    line(b, "# vnest first-boot script: runs once, on the first boot after the install");
    line(b, "# (not under UEFI Secure Boot). Every step prints one line; a command that");
    line(b, "# fails is reported and the script goes on with the next step.");
    root_hook(b);
    line(b, "say() {");
    line(b, "    echo \"vnest-firstboot: $*\"");
    line(b, "}");
    line(b, "run() {");
    line(b, "    \"$@\" || say \"FAILED (exit $?): $*\"");
    line(b, "}");
    if (s->ssh || s->shell || gi)
        service_functions(b, s->ssh || gi, s->shell);
    if (gi)
        createvmfs_function(b, s);
    if (s->legacy_cpu) {
        line(b, "");
        legacy_cpu_function(b);
    }

    line(b, "");
    line(b, "say \"S7: vmk0 follows its NIC's hardware MAC (/Net/FollowHardwareMac = 1)\"");
    line(b, "run esxcli system settings advanced set -o /Net/FollowHardwareMac -i 1");
    if (gi)
        guestinfo_part(b, s);

    if (gi || s->ssh || s->shell)
        line(b, "");
    if (gi && !s->ssh) {
        /* guestinfo.ssh decides, per host. */
        line(b, "if is_true \"$gi_ssh\"; then");
        line(b, "    enable_ssh");
        if (!s->shell)
            suppress_warning(b, "    ");
        line(b, "fi");
    }
    if (s->ssh)
        line(b, "enable_ssh");
    if (s->shell)
        line(b, "enable_shell");
    if (s->ssh || s->shell)
        suppress_warning(b, "");

    if (s->vsan) {
        line(b, "");
        line(b, "say \"vSAN: vmk0 carries vSAN traffic (no further VMkernel port: S8)\"");
        if (s->rel->id == VN_ESXI_60)
            line(b, "run esxcli vsan network ipv4 add -i vmk0");
        else
            line(b, "run esxcli vsan network ip add -i vmk0");
    }
    if (gi) {
        line(b, "");
        line(b, "if is_true \"$gi_createvmfs\"; then");
        line(b, "    create_vmfs");
        line(b, "fi");
    }
    if (s->legacy_cpu) {
        line(b, "");
        line(b, "say \"S5: allowLegacyCPU=true in the kernelopt of both boot banks\"");
        line(b, "legacy_cpu \"$ROOT/bootbank/boot.cfg\"");
        line(b, "legacy_cpu \"$ROOT/altbootbank/boot.cfg\"");
    }
    line(b, "");
    line(b, "say \"saving the configuration (auto-backup.sh)\"");
    line(b, "run \"$ROOT/sbin/auto-backup.sh\"");
    line(b, "say finished");
}

int vn_ks_generate(const vn_ks_spec *s, vn_buf *out, vn_error *err)
{
    if (!s->rel)
        return vn_fail(err, VN_EINPUT, "--esxi", "missing (expected one of %s)", vn_release_list());
    if (!s->rootpw_hash || !vn_ks_is_crypt_hash(s->rootpw_hash))
        return vn_fail(err, VN_EINPUT, "rootpw", "not a crypt(3) hash (expected $6$SALT$HASH)");
    if (s->keyboard && !vn_ks_keyboard(s->keyboard))
        return vn_fail(err, VN_EINPUT, "--keyboard", "unknown layout \"%s\" (expected one of %s)",
                       s->keyboard, vn_ks_keyboard_list());
    vn_ks_spec spec = *s;
    spec.keyboard = s->keyboard ? vn_ks_keyboard(s->keyboard) : NULL;
    header(out, &spec);
    if (spec.legacy_cpu)
        post_section(out);
    firstboot_section(out, &spec);
    return VN_OK;
}
