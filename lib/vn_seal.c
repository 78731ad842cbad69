#include "vn_seal.h"

#include <string.h>

#define ALL VN_REL_ALL

/* ---- shell fragments ----------------------------------------------------
 *
 * Each fragment is the body of one shell function of the generated script.
 * Helpers the script defines for them: say TEXT (an indented line), run CMD
 * (prints "+ CMD", runs it, fails the step on a non-zero status), capture CMD
 * (the same, keeping the output in $OUT for the step to read) and fail TEXT
 * (names the step, stops the script). $R is the ESXSIM_ROOT test prefix,
 * used for the files the script itself opens or runs by path; paths handed
 * to ESXi's tools (/bootbank for vmkfstools, /vmfs/devices/... for
 * partedUtil) are theirs to resolve and stay as they are. Sources: the seed
 * procedure (seeds/000, SEEDS S5-S11) and research formats.md 2.6-2.12,
 * 8.1-8.3; the command outputs parsed here have the shapes ESXi prints
 * (esxcli tables and key: value blocks, partedUtil getptbl, vmkfstools -P). */

/* S5: append allowLegacyCPU=true to the kernelopt line of both banks, once.
 * boot.cfg keys are case-insensitive and the last kernelopt line wins
 * (formats.md 2.6), so the last one is edited; other allowLegacyCPU words
 * are dropped so the option appears exactly once; a file already right is
 * not rewritten (awk exits 3). Other lines are kept byte for byte and
 * bootstate= stays first. The new file replaces the old by rename. */
static const char frag_legacy_cpu[] =
    "    for f in \"$R/bootbank/boot.cfg\" \"$R/altbootbank/boot.cfg\"; do\n"
    "        if [ ! -f \"$f\" ]; then\n"
    "            case $f in\n"
    "            */altbootbank/boot.cfg)\n"
    "                say \"$f: none (the alternate bank stays empty until the first update)\"\n"
    "                continue\n"
    "                ;;\n"
    "            esac\n"
    "            fail \"$f not found\"\n"
    "        fi\n"
    "        rc=0\n"
    "        awk '\n"
    "            {\n"
    "                line[NR] = $0\n"
    "                s = $0\n"
    "                sub(/\\r$/, \"\", s)\n"
    "                sub(/^[ \\t]+/, \"\", s)\n"
    "                eq = index(s, \"=\")\n"
    "                if (eq > 0) {\n"
    "                    k = substr(s, 1, eq - 1)\n"
    "                    sub(/[ \\t]+$/, \"\", k)\n"
    "                    if (tolower(k) == \"kernelopt\")\n"
    "                        last = NR\n"
    "                }\n"
    "            }\n"
    "            END {\n"
    "                if (last == 0) {\n"
    "                    for (i = 1; i <= NR; i++)\n"
    "                        print line[i]\n"
    "                    print \"kernelopt=allowLegacyCPU=true\"\n"
    "                    exit 0\n"
    "                }\n"
    "                s = line[last]\n"
    "                cr = \"\"\n"
    "                if (s ~ /\\r$/) {\n"
    "                    cr = \"\\r\"\n"
    "                    sub(/\\r$/, \"\", s)\n"
    "                }\n"
    "                eq = index(s, \"=\")\n"
    "                n = split(substr(s, eq + 1), w, /[ \\t]+/)\n"
    "                v = \"\"\n"
    "                good = 0\n"
    "                bad = 0\n"
    "                for (j = 1; j <= n; j++) {\n"
    "                    if (w[j] == \"\")\n"
    "                        continue\n"
    "                    k = w[j]\n"
    "                    sub(/=.*/, \"\", k)\n"
    "                    if (tolower(k) == \"allowlegacycpu\") {\n"
    "                        if (tolower(w[j]) == \"allowlegacycpu=true\")\n"
    "                            good++\n"
    "                        else\n"
    "                            bad++\n"
    "                        continue\n"
    "                    }\n"
    "                    v = v (v == \"\" ? \"\" : \" \") w[j]\n"
    "                }\n"
    "                if (good == 1 && bad == 0)\n"
    "                    exit 3\n"
    "                for (i = 1; i <= NR; i++)\n"
    "                    if (i == last)\n"
    "                        print substr(s, 1, eq) v (v == \"\" ? \"\" : \" \") "
    "\"allowLegacyCPU=true\" cr\n"
    "                    else\n"
    "                        print line[i]\n"
    "            }' \"$f\" >\"$f.vnest-new\" || rc=$?\n"
    "        case $rc in\n"
    "        0)\n"
    "            mv -f \"$f.vnest-new\" \"$f\" || fail \"cannot replace $f\"\n"
    "            say \"$f: allowLegacyCPU=true added to kernelopt\"\n"
    "            ;;\n"
    "        3)\n"
    "            rm -f \"$f.vnest-new\"\n"
    "            say \"$f: kernelopt already has allowLegacyCPU=true\"\n"
    "            ;;\n"
    "        *)\n"
    "            rm -f \"$f.vnest-new\"\n"
    "            fail \"cannot rewrite $f (awk exit status $rc)\"\n"
    "            ;;\n"
    "        esac\n"
    "    done\n";

/* S6: the four hostsvc calls of formats.md 2.12; each is harmless when the
 * service is already enabled or running. */
static const char frag_ssh[] = "    run vim-cmd hostsvc/enable_ssh\n"
                               "    run vim-cmd hostsvc/start_ssh\n"
                               "    run vim-cmd hostsvc/enable_esx_shell\n"
                               "    run vim-cmd hostsvc/start_esx_shell\n";

/* S7: the seed's command, verbatim. */
static const char frag_follow_hw_mac[] =
    "    run esxcli system settings advanced set -o /Net/FollowHardwareMac -i 1\n";

/* S8: a check, not a change: removing someone's VMkernel ports is theirs to
 * decide. `esxcli network ip interface list` prints one "   Name: vmkN"
 * line per port. */
static const char frag_vmknics[] =
    "    capture esxcli network ip interface list\n"
    "    extra=$(printf '%s\\n' \"$OUT\" |\n"
    "        awk '$1 == \"Name:\" && $2 != \"vmk0\" { printf \"%s%s\", sep, $2; sep = \" \" }')\n"
    "    if [ -n \"$extra\" ]; then\n"
    "        fail \"VMkernel ports other than vmk0 exist: $extra; FollowHardwareMac gives only "
    "vmk0 a clone's new MAC (S8): remove them (esxcli network ip interface remove -i NAME) and "
    "run this script again\"\n"
    "    fi\n"
    "    say \"only vmk0\"\n";

/* S9, the seed's command-line method: partedUtil getptbl, then partedUtil
 * delete of the VMFS partition. The boot disk is the device under /bootbank
 * (vmkfstools -P, "Partitions spanned" is followed by DEVICE:PARTITION).
 * Datastores are the VMFS-3/5/6 volumes of `esxcli storage filesystem list`
 * (its last five columns are UUID, Mounted, Type, Size, Free; a volume name
 * may hold spaces); 7.0's OSDATA (type VMFSOS, a VMFS-L extent on the same
 * disk) is never touched. `esxcli storage vmfs extent list` maps each to
 * DEVICE PARTITION (its last four columns: UUID, extent, device, partition).
 * Before deleting, the partition must have the VMFS type GUID in getptbl.
 * A mounted datastore is unmounted first. The seed then runs `services.sh
 * restart` so hostd forgets the datastore; the script rescans instead
 * (vmkfstools -V): restarting every service also restarts SSH and vmtoolsd,
 * which the script may be running under, and the host powers off anyway. A
 * VMFS datastore on another disk stops the step: it would be cloned with the
 * VM unless it is shared storage, which only the user can tell. */
static const char frag_local_vmfs[] =
    "    capture vmkfstools -P /bootbank\n"
    "    boot=$(printf '%s\\n' \"$OUT\" |\n"
    "        awk 'f && NF { sub(/:[0-9]+$/, \"\", $1); print $1; exit } /^Partitions spanned/ "
    "{ f = 1 }')\n"
    "    [ -n \"$boot\" ] || fail \"cannot tell the boot disk from 'vmkfstools -P /bootbank'\"\n"
    "    say \"boot disk: $boot\"\n"
    "    capture esxcli storage filesystem list\n"
    "    ds=$(printf '%s\\n' \"$OUT\" | awk 'NF >= 7 && $(NF - 2) ~ /^VMFS-[0-9]+$/ {\n"
    "        printf \"%s%s=%s\", sep, $(NF - 4), $(NF - 3)\n"
    "        sep = \" \"\n"
    "    }')\n"
    "    if [ -z \"$ds\" ]; then\n"
    "        say \"no VMFS datastore\"\n"
    "        return 0\n"
    "    fi\n"
    "    capture esxcli storage vmfs extent list\n"
    "    todo=$(printf '%s\\n' \"$OUT\" | awk -v ds=\"$ds\" '\n"
    "        BEGIN {\n"
    "            n = split(ds, a, \" \")\n"
    "            for (i = 1; i <= n; i++) {\n"
    "                eq = index(a[i], \"=\")\n"
    "                m[substr(a[i], 1, eq - 1)] = substr(a[i], eq + 1)\n"
    "            }\n"
    "        }\n"
    "        NF >= 5 && ($(NF - 3) in m) {\n"
    "            name = $1\n"
    "            for (i = 2; i <= NF - 4; i++)\n"
    "                name = name \" \" $i\n"
    "            print $(NF - 3), $(NF - 1), $NF, m[$(NF - 3)], name\n"
    "        }')\n"
    "    other=$(printf '%s\\n' \"$todo\" | awk -v b=\"$boot\" 'NF && $2 != b {\n"
    "        name = $5\n"
    "        for (i = 6; i <= NF; i++)\n"
    "            name = name \" \" $i\n"
    "        printf \"%s\\\"%s\\\" on %s:%s\", sep, name, $2, $3\n"
    "        sep = \", \"\n"
    "    }')\n"
    "    if [ -n \"$other\" ]; then\n"
    "        fail \"VMFS datastores outside the boot disk: $other; the clones would carry them "
    "with the same VMFS UUID (S9): delete them or detach their disks (or, if they are shared "
    "storage, leave this step out with --ops -local-vmfs) and run this script again\"\n"
    "    fi\n"
    "    deleted=0\n"
    "    while read -r uuid dev part mounted name <&3; do\n"
    "        [ -n \"$uuid\" ] || continue\n"
    "        say \"datastore \\\"$name\\\" ($uuid) is partition $part of the boot disk\"\n"
    "        capture partedUtil getptbl \"/vmfs/devices/disks/$dev\"\n"
    "        guid=$(printf '%s\\n' \"$OUT\" | awk -v p=\"$part\" '$1 == p { print $4 }')\n"
    "        if [ \"$guid\" != AA31E02A400F11DB9590000C2911D1B8 ]; then\n"
    "            fail \"partition $part of $dev is not a VMFS partition (type ${guid:-none}): "
    "not deleting it\"\n"
    "        fi\n"
    "        if [ \"$mounted\" = true ]; then\n"
    "            run esxcli storage filesystem unmount -u \"$uuid\"\n"
    "        fi\n"
    "        run partedUtil delete \"/vmfs/devices/disks/$dev\" \"$part\"\n"
    "        deleted=$((deleted + 1))\n"
    "    done 3<<EOF\n"
    "$todo\n"
    "EOF\n"
    "    if [ \"$deleted\" -gt 0 ]; then\n"
    "        run vmkfstools -V\n"
    "    fi\n";

/* The installer ISO is a property of the VM (rule no-install-media), which
 * the guest cannot change: VMware Tools may disconnect devices only where
 * the VM allows it (isolation.device.connectable.disable), which templates
 * should not. So this step only says what to do outside. */
static const char frag_install_media[] =
    "    say \"the installer ISO is in the VM's CD drive, outside the guest: nothing to change "
    "in here\"\n"
    "    say \"disconnect it before making the template: 'vnest vm fix NAME --role template' "
    "or 'vnest vmx fix --role template FILE.vmx' (rule no-install-media)\"\n";

/* formats.md 2.11 step 3, as in Lam's customize.sh (8.2). */
static const char frag_dhcp_leases[] = "    n=0\n"
                                       "    for f in \"$R\"/etc/dhclient*.leases; do\n"
                                       "        [ -e \"$f\" ] || continue\n"
                                       "        run rm -f \"$f\"\n"
                                       "        n=$((n + 1))\n"
                                       "    done\n"
                                       "    if [ \"$n\" -eq 0 ]; then\n"
                                       "        say \"no DHCP lease files\"\n"
                                       "    fi\n";

/* formats.md 8.2: the vSAN node UUID is the advanced option /VSAN/NodeUuid
 * and must match the host UUID; a clone must not inherit it. Reset to its
 * default (empty, as on a fresh install) when set. `advanced list -o`
 * prints a key: value block whose "String Value:" line holds it. */
static const char frag_vsan_node_uuid[] =
    "    capture esxcli system settings advanced list -o /VSAN/NodeUuid\n"
    "    val=$(printf '%s\\n' \"$OUT\" | awk -F': *' '$1 ~ /^ *String Value$/ { print $2; exit "
    "}')\n"
    "    case $val in\n"
    "    \"\" | 00000000-0000-0000-0000-000000000000)\n"
    "        say \"no vSAN node UUID set\"\n"
    "        ;;\n"
    "    *)\n"
    "        say \"vSAN node UUID $val: back to the default\"\n"
    "        run esxcli system settings advanced set -o /VSAN/NodeUuid -d\n"
    "        ;;\n"
    "    esac\n";

/* formats.md 2.7 and 8.1: auto-backup.sh saves /etc into state.tgz on the
 * boot bank. Run while the host still has its UUID it persists every change
 * above, and it proves that saving works: backup.sh refuses to run without
 * valid SSL certificates, and at shutdown it then loops forever; better to
 * stop here, with the host's identity intact. */
static const char frag_auto_backup[] =
    "    [ -x \"$R/sbin/auto-backup.sh\" ] || fail \"$R/sbin/auto-backup.sh not found\"\n"
    "    run \"$R/sbin/auto-backup.sh\"\n";

/* S11, the seed's last command before shutdown: the line goes (the seed's
 * `sed -i 's#/system/uuid.*##'` blanks it; this deletes just that key's line
 * and leaves every other line alone). ESXi makes a new UUID at the next
 * boot, the first boot of each clone. Nothing may run between this and the
 * power-off that could reboot or ask for the UUID (esxcli system uuid get
 * writes it back): the power-off's /sbin/shutdown.sh runs backup.sh, which
 * saves esx.conf without the line. */
static const char frag_system_uuid[] =
    "    f=\"$R/etc/vmware/esx.conf\"\n"
    "    if grep -q '^[[:space:]]*/system/uuid[[:space:]]*=' \"$f\"; then\n"
    "        run sed -i '/^[[:space:]]*\\/system\\/uuid[[:space:]]*=/d' \"$f\"\n"
    "        if grep -q '^[[:space:]]*/system/uuid[[:space:]]*=' \"$f\"; then\n"
    "            fail \"the /system/uuid line is still in $f\"\n"
    "        fi\n"
    "        say \"removed: ESXi makes a new UUID at the next boot, the first boot of each "
    "clone\"\n"
    "    else\n"
    "        say \"no /system/uuid line in $f (removed before)\"\n"
    "    fi\n";

/* The order is the order the steps run (see vn_seal.h). */
static const vn_seal_op ops[] = {
    {"legacy-cpu", "S5", 0, VN_REL_FROM(VN_ESXI_70),
     "add allowLegacyCPU=true to kernelopt of both banks' boot.cfg, once (CPUs 7.0 dropped)",
     frag_legacy_cpu},
    {"ssh", "S6", 1, ALL, "enable and start SSH and the ESXi Shell (labs only)", frag_ssh},
    {"follow-hw-mac", "S7", 1, ALL,
     "make vmk0 take the vNIC's MAC after cloning (/Net/FollowHardwareMac = 1)",
     frag_follow_hw_mac},
    {"vmknics", "S8", 1, ALL,
     "stop if a VMkernel port other than vmk0 exists (only vmk0 follows the new MAC)",
     frag_vmknics},
    {"local-vmfs", "S9", 1, ALL,
     "delete the boot disk's VMFS datastore (partedUtil): clones would share its UUID",
     frag_local_vmfs},
    {"install-media", "", 1, ALL,
     "nothing to do inside: a reminder to disconnect the installer ISO from the VM",
     frag_install_media},
    {"dhcp-leases", "", 1, ALL,
     "remove DHCP leases (/etc/dhclient*.leases), so clones ask for their own addresses",
     frag_dhcp_leases},
    {"vsan-node-uuid", "", 1, ALL,
     "reset /VSAN/NodeUuid to its default, so clones do not share a vSAN identity",
     frag_vsan_node_uuid},
    {"auto-backup", "", 1, ALL,
     "save the configuration now (/sbin/auto-backup.sh), which proves that saving works",
     frag_auto_backup},
    {"system-uuid", "S11", 1, ALL,
     "remove /system/uuid from /etc/vmware/esx.conf (always last, then the power-off)",
     frag_system_uuid},
};

#define NOPS (sizeof(ops) / sizeof(ops[0]))

size_t vn_seal_count(void)
{
    return NOPS;
}

const vn_seal_op *vn_seal_at(size_t i)
{
    return i < NOPS ? &ops[i] : NULL;
}

const vn_seal_op *vn_seal_find(const char *id)
{
    for (size_t i = 0; id && i < NOPS; i++)
        if (strcmp(ops[i].id, id) == 0)
            return &ops[i];
    return NULL;
}

size_t vn_seal_index(const vn_seal_op *op)
{
    return (size_t)(op - ops);
}

#define BIT(i) (1ul << (i))

vn_seal_set vn_seal_defaults(vn_release_id rel)
{
    vn_seal_set set = 0;
    for (size_t i = 0; i < NOPS; i++)
        if (ops[i].default_on && (ops[i].releases & VN_REL(rel)))
            set |= BIT(i);
    return set;
}

void vn_seal_set_text(vn_seal_set set, const char *sep, vn_buf *out)
{
    int first = 1;
    vn_buf_adds(out, "");
    for (size_t i = 0; i < NOPS; i++) {
        if (!(set & BIT(i)))
            continue;
        if (!first)
            vn_buf_adds(out, sep);
        vn_buf_adds(out, ops[i].id);
        first = 0;
    }
}

static int unknown_op(const char *name, size_t len, vn_error *err)
{
    vn_buf known = VN_BUF_INIT;
    vn_seal_set_text(~0ul, ", ", &known);
    vn_fail(err, VN_EINPUT, "--ops",
            "unknown operation \"%.*s\" (expected %s, all or none; -NAME removes one; see "
            "'vnest seal list')",
            (int)len, name, known.data);
    vn_buf_free(&known);
    return VN_EINPUT;
}

/* Applies one item ("ssh", "+ssh", "-ssh", "all", "none") to *set. */
static int apply_item(const char *item, size_t len, vn_release_id rel, vn_seal_set *set,
                      vn_error *err)
{
    const vn_release *r = vn_release_get(rel);
    int drop = 0;
    if (len && (item[0] == '-' || item[0] == '+')) {
        drop = item[0] == '-';
        item++;
        len--;
    }
    if (len == 0)
        return vn_fail(err, VN_EINPUT, "--ops",
                       "empty operation name (expected a comma-separated list such as "
                       "\"legacy-cpu,-ssh\")");
    if (drop && ((len == 3 && !strncmp(item, "all", 3)) || (len == 4 && !strncmp(item, "none", 4))))
        return vn_fail(err, VN_EINPUT, "--ops",
                       "\"-%.*s\" is not an operation (expected -NAME; none clears the list)",
                       (int)len, item);
    if (len == 3 && !strncmp(item, "all", 3)) {
        for (size_t i = 0; i < NOPS; i++)
            if (ops[i].releases & VN_REL(rel))
                *set |= BIT(i);
        return VN_OK;
    }
    if (len == 4 && !strncmp(item, "none", 4)) {
        *set = 0;
        return VN_OK;
    }
    for (size_t i = 0; i < NOPS; i++) {
        if (strlen(ops[i].id) != len || strncmp(ops[i].id, item, len) != 0)
            continue;
        if (drop) {
            *set &= ~BIT(i);
            return VN_OK;
        }
        if (!(ops[i].releases & VN_REL(rel)))
            return vn_fail(err, VN_EINPUT, "--ops",
                           "operation \"%s\" does not apply to ESXi %s (%s)", ops[i].id, r->name,
                           strcmp(ops[i].id, "legacy-cpu") == 0
                               ? "allowLegacyCPU is a boot option of ESXi 7.0 and later"
                               : "see 'vnest seal list'");
        *set |= BIT(i);
        return VN_OK;
    }
    return unknown_op(item, len, err);
}

int vn_seal_select(const char *const *specs, size_t n, vn_release_id rel, vn_seal_set *out,
                   vn_error *err)
{
    vn_seal_set set = vn_seal_defaults(rel);
    for (size_t s = 0; s < n; s++) {
        const char *p = specs[s] ? specs[s] : "";
        for (;;) {
            size_t len = strcspn(p, ",");
            int rc = apply_item(p, len, rel, &set, err);
            if (rc != VN_OK)
                return rc;
            if (p[len] != ',')
                break;
            p += len + 1;
        }
    }
    if (!set)
        return vn_fail(err, VN_EINPUT, "--ops",
                       "no operation left to run (expected at least one; see 'vnest seal list')");
    *out = set;
    return VN_OK;
}

int vn_seal_policy(const vn_release *rel, int allow_unsupported, vn_error *err)
{
    if (rel->template_clone_ok || allow_unsupported)
        return VN_OK;
    return vn_fail(err, VN_EINPUT, "--esxi",
                   "ESXi %s is not sealed for cloning: from 7.0 Update 2 a cloned ESXi boot disk "
                   "is unsupported and can corrupt shared VMFS (S17, KB 84280, KB 84349); install "
                   "each host fresh with a kickstart ('vnest ks new --esxi %s'), or pass "
                   "--allow-unsupported-clone for a throwaway lab",
                   rel->name, rel->name);
}

/* "7.0U1" -> "7.0": the major.minor that `esxcli system version get` shows. */
static void family(const vn_release *rel, char *out, size_t n)
{
    size_t len = strcspn(rel->name, "Uu+");
    if (len >= n)
        len = n - 1;
    memcpy(out, rel->name, len);
    out[len] = '\0';
}

static void fn_name(const char *id, vn_buf *out)
{
    vn_buf_adds(out, "op_");
    for (const char *p = id; *p; p++)
        vn_buf_addc(out, *p == '-' ? '_' : *p);
}

/* The script's helpers and the preflight, which every script shares. */
static const char helpers[] =
    "say() {\n"
    "    printf '    %s\\n' \"$*\"\n"
    "}\n"
    "\n"
    "step() {\n"
    "    STEP=$2\n"
    "    printf 'vnest-seal: [%s/%s] %s: %s\\n' \"$1\" \"$SEAL_STEPS\" \"$2\" \"$3\"\n"
    "}\n"
    "\n"
    "# A line in the VM's vmware.log on the outer host, through VMware Tools for\n"
    "# Nested ESXi (best effort: the seal does not depend on it).\n"
    "tools_log() {\n"
    "    vmtoolsd --cmd \"log vnest-seal: $*\" >/dev/null 2>&1 || true\n"
    "}\n"
    "\n"
    "fail() {\n"
    "    REPORTED=1\n"
    "    printf 'vnest-seal: step %s failed: %s\\n' \"$STEP\" \"$*\" >&2\n"
    "    tools_log \"step $STEP failed\"\n"
    "    exit 1\n"
    "}\n"
    "\n"
    "# A command that fails outside run/capture/fail still names its step.\n"
    "trap 'SEAL_RC=$?; if [ \"$SEAL_RC\" -ne 0 ] && [ \"$REPORTED\" -eq 0 ]; then\n"
    "    printf \"vnest-seal: step %s failed (exit status %s)\\\\n\" \"$STEP\" \"$SEAL_RC\" >&2\n"
    "fi' EXIT\n"
    "\n"
    "run() {\n"
    "    printf '    + %s\\n' \"$*\"\n"
    "    \"$@\" || fail \"'$*' exited with status $?\"\n"
    "}\n"
    "\n"
    "capture() {\n"
    "    printf '    + %s\\n' \"$*\"\n"
    "    OUT=$(\"$@\") || fail \"'$*' exited with status $?\"\n"
    "}\n"
    "\n"
    "# Is this the ESXi the script was made for, and may it be cloned (S17)?\n"
    "op_preflight() {\n"
    "    [ -f \"$R/etc/vmware/esx.conf\" ] ||\n"
    "        fail \"$R/etc/vmware/esx.conf not found: run this script inside the nested ESXi "
    "(ESXi Shell or SSH), as root\"\n"
    "    tools_log \"start: ESXi $SEAL_RELEASE, operations $SEAL_OPS\"\n"
    "    capture esxcli system version get\n"
    "    ver=$(printf '%s\\n' \"$OUT\" | awk -F': *' '$1 ~ /^ *Version$/ { print $2; exit }')\n"
    "    case $ver in\n"
    "    [0-9]*.[0-9]*.[0-9]*) ;;\n"
    "    *) fail \"cannot read the ESXi version from 'esxcli system version get'\" ;;\n"
    "    esac\n"
    "    major=${ver%%.*}\n"
    "    rest=${ver#*.}\n"
    "    minor=${rest%%.*}\n"
    "    update=${rest#*.}\n"
    "    update=${update%%[!0-9]*}\n"
    "    say \"the host runs ESXi $ver; this script is for ESXi $SEAL_RELEASE\"\n"
    "    if [ \"$major.$minor\" != \"$SEAL_FAMILY\" ]; then\n"
    "        fail \"this script was made for ESXi $SEAL_RELEASE, not $ver: make one with "
    "'vnest seal script --esxi $major.$minor'\"\n"
    "    fi\n"
    "    if [ \"$major\" -gt 7 ] || { [ \"$major\" -eq 7 ] && [ \"${update:-0}\" -ge 2 ]; }; "
    "then\n"
    "        if [ \"$SEAL_ALLOW_UNSUPPORTED\" -ne 1 ]; then\n"
    "            fail \"ESXi $ver: from 7.0 Update 2 a cloned ESXi boot disk is unsupported and "
    "can corrupt shared VMFS (S17, KB 84280, KB 84349): install each host with a kickstart "
    "instead ('vnest ks new')\"\n"
    "        fi\n"
    "        say \"WARNING: cloning the boot disk of ESXi $ver is unsupported (S17, KB 84280, "
    "KB 84349); going on because the script was made with --allow-unsupported-clone\"\n"
    "    fi\n"
    "}\n"
    "\n"
    "# The clean power-off: /sbin/shutdown.sh stops the services and runs\n"
    "# backup.sh, which saves esx.conf (now without /system/uuid) to the boot\n"
    "# bank; /sbin/poweroff then turns the VM off. A bare poweroff would skip\n"
    "# the save.\n"
    "op_power_off() {\n"
    "    say \"sealed: shutting down; then make the VM a template ('vnest template NAME')\"\n"
    "    printf '    + %s\\n' \"$R/sbin/shutdown.sh\"\n"
    "    \"$R/sbin/shutdown.sh\" ||\n"
    "        fail \"/sbin/shutdown.sh exited with status $?: the configuration may not be saved; "
    "do not make a template of this VM until a clean shutdown works\"\n"
    "    run \"$R/sbin/poweroff\"\n"
    "}\n";

static void add_step(vn_buf *out, int n, const char *id, const char *summary)
{
    vn_buf_addf(out, "step %d %s '", n, id);
    for (const char *p = summary; *p; p++)
        if (*p == '\'')
            vn_buf_adds(out, "'\\''");
        else
            vn_buf_addc(out, *p);
    vn_buf_adds(out, "'\n");
}

int vn_seal_script(const vn_release *rel, vn_seal_set set, int allow_unsupported, vn_buf *out,
                   vn_error *err)
{
    int rc = vn_seal_policy(rel, allow_unsupported, err);
    if (rc != VN_OK)
        return rc;
    for (size_t i = 0; i < NOPS; i++)
        if ((set & BIT(i)) && !(ops[i].releases & VN_REL(rel->id)))
            return vn_fail(err, VN_EINPUT, "--ops", "operation \"%s\" does not apply to ESXi %s",
                           ops[i].id, rel->name);
    if (!(set & ((BIT(NOPS) - 1))))
        return vn_fail(err, VN_EINPUT, "--ops", "no operation to run");

    char fam[16];
    family(rel, fam, sizeof(fam));
    vn_buf list = VN_BUF_INIT;
    vn_seal_set_text(set, " ", &list);
    int nsteps = 2;
    for (size_t i = 0; i < NOPS; i++)
        nsteps += (set & BIT(i)) != 0;
    const vn_seal_op *last = &ops[NOPS - 1];

    vn_buf_adds(out, "#!/bin/sh\n");
    vn_buf_addf(out, "# Seal of a Nested ESXi %s before it becomes a VM template, made by\n",
                rel->name);
    vn_buf_addf(out, "# 'vnest seal script --esxi %s --ops none,", rel->name);
    vn_seal_set_text(set, ",", out);
    vn_buf_addf(out, "%s'.\n", allow_unsupported ? " --allow-unsupported-clone" : "");
    vn_buf_adds(out,
                "#\n"
                "# Run it as root inside the nested ESXi (ESXi Shell or SSH) when the host is\n"
                "# set up. It prints each step, stops at the first failure naming the step,\n"
                "# and ends by powering the host off; then make the VM a template. Every step\n"
                "# can run again, so after a failure fix the cause and run the whole script\n"
                "# again.\n#\n# Steps:\n"
                "#   preflight: the host runs the ESXi this script is for (S17)\n");
    for (size_t i = 0; i < NOPS; i++)
        if (set & BIT(i))
            vn_buf_addf(out, "#   %s%s%s%s: %s\n", ops[i].id, *ops[i].seed ? " (" : "", ops[i].seed,
                        *ops[i].seed ? ")" : "", ops[i].summary);
    vn_buf_adds(out, "#   power-off: /sbin/shutdown.sh (saves the configuration), /sbin/poweroff\n"
                     "#\n");
    if (set & BIT(NOPS - 1))
        vn_buf_adds(out,
                    "# system-uuid runs last: without /system/uuid in esx.conf ESXi makes a\n"
                    "# new UUID at the next boot (each clone's first), and a reboot or\n"
                    "# 'esxcli system uuid get' before the power-off would bring it back (S11).\n"
                    "# auto-backup runs before it; the shutdown's backup saves the removal.\n");
    else
        vn_buf_adds(out, "# WARNING: system-uuid is left out: every clone keeps this host's UUID,\n"
                         "# and vCenter refuses or confuses hosts that share one (S11).\n");
    if (!rel->template_clone_ok)
        vn_buf_addf(out,
                    "# WARNING: made with --allow-unsupported-clone. From 7.0 Update 2 a cloned\n"
                    "# ESXi boot disk is unsupported and can corrupt shared VMFS (S17, KB 84280,\n"
                    "# KB 84349); install each host with a kickstart instead ('vnest ks new').\n"
                    "# Whether removing /system/uuid still suffices on %s is not verified.\n",
                    rel->name);
    vn_buf_adds(out,
                "#\n"
                "# Test hook: ESXSIM_ROOT, unset on a real host, is put in front of every path\n"
                "# this script opens or runs by itself, so tests can run it in a simulated ESXi\n"
                "# root (vnest's tests/esxsim).\n\n"
                "set -eu\n"
                "R=${ESXSIM_ROOT:-}\n"
                "PATH=$PATH:/bin:/sbin:/usr/bin:/usr/sbin\n"
                "export PATH\n");
    vn_buf_addf(out,
                "SEAL_RELEASE='%s'\nSEAL_FAMILY='%s'\nSEAL_ALLOW_UNSUPPORTED=%d\n"
                "SEAL_OPS='%s'\nSEAL_STEPS=%d\nSTEP=start\nREPORTED=0\nSEAL_RC=0\nOUT=\n\n",
                rel->name, fam, allow_unsupported ? 1 : 0, list.data, nsteps);
    vn_buf_adds(out, helpers);
    for (size_t i = 0; i < NOPS; i++) {
        if (!(set & BIT(i)))
            continue;
        vn_buf_addf(out, "\n# %s%s%s%s: %s\n", ops[i].id, *ops[i].seed ? " (" : "", ops[i].seed,
                    *ops[i].seed ? ")" : "", ops[i].summary);
        fn_name(ops[i].id, out);
        vn_buf_adds(out, "() {\n");
        vn_buf_adds(out, ops[i].script);
        vn_buf_adds(out, "}\n");
    }
    vn_buf_adds(out, "\n");
    int n = 1;
    add_step(out, n++, "preflight", "the host runs the ESXi this script is for");
    vn_buf_adds(out, "op_preflight\n");
    for (size_t i = 0; i < NOPS; i++) {
        if (!(set & BIT(i)))
            continue;
        add_step(out, n++, ops[i].id, ops[i].summary);
        fn_name(ops[i].id, out);
        vn_buf_addc(out, '\n');
    }
    if (set & BIT(NOPS - 1))
        vn_buf_addf(out, "# Nothing but the power-off after %s (S11).\n", last->id);
    add_step(out, n, "power-off", "shut down cleanly (saves the configuration) and power off");
    vn_buf_adds(out, "op_power_off\nexit 0\n");
    vn_buf_free(&list);
    return VN_OK;
}
