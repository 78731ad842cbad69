/* vnest ks new: the kickstart of a Nested ESXi lab host. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vn_buf.h"
#include "vn_file.h"
#include "vn_ks.h"

static int run_new(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    vn_error err = {0};
    const char *esxi = cli_get(cmd, args, "esxi");
    if (!esxi)
        return cli_fail(VN_EINPUT, "--esxi", "missing (expected the ESXi release to install: %s)",
                        vn_release_list());
    vn_ks_spec spec;
    memset(&spec, 0, sizeof(spec));
    spec.rel = vn_release_parse(esxi, "--esxi", &err);
    if (!spec.rel)
        return cli_report(&err);

    const char *ds = cli_get(cmd, args, "datastore");
    if (ds && strcmp(ds, "none") != 0 && strcmp(ds, "keep") != 0)
        return cli_fail(VN_EINPUT, "--datastore", "unknown value \"%s\" (expected none or keep)",
                        ds);
    spec.keep_datastore = ds && strcmp(ds, "keep") == 0;

    const char *net = cli_get(cmd, args, "network");
    if (net && strcmp(net, "dhcp") != 0 && strcmp(net, "guestinfo") != 0)
        return cli_fail(VN_EINPUT, "--network", "unknown value \"%s\" (expected dhcp or guestinfo)",
                        net);
    spec.network = net && strcmp(net, "guestinfo") == 0 ? VN_KS_NET_GUESTINFO : VN_KS_NET_DHCP;

    const char *kb = cli_get(cmd, args, "keyboard");
    if (kb) {
        spec.keyboard = vn_ks_keyboard(kb);
        if (!spec.keyboard) {
            const char *s = vn_ks_keyboard_suggest(kb);
            if (s)
                return cli_fail(VN_EINPUT, "--keyboard",
                                "unknown layout \"%s\" (did you mean '%s'?)", kb, s);
            return cli_fail(VN_EINPUT, "--keyboard", "unknown layout \"%s\" (expected one of %s)",
                            kb, vn_ks_keyboard_list());
        }
    }
    spec.legacy_cpu = cli_has(cmd, args, "legacy-cpu");
    spec.ssh = cli_has(cmd, args, "ssh");
    spec.shell = cli_has(cmd, args, "shell");
    spec.vsan = cli_has(cmd, args, "vsan");

    const char *outpath = cli_get(cmd, args, "output");
    if (ctx->json && !outpath)
        return cli_fail(VN_EINPUT, "--json",
                        "needs -o FILE (without it the kickstart itself goes to standard output)");

    const char *pwfile = cli_get(cmd, args, "password-file");
    if (!pwfile)
        return cli_fail(VN_EINPUT, "--password-file",
                        "missing: the kickstart needs a root password (expected a file only "
                        "its owner can read, mode 0600, holding the password on one line)");
    char *password = NULL;
    if (vn_ks_read_password(pwfile, &password, &err) != VN_OK)
        return cli_report(&err);
    char hash[256];
    int rc = vn_ks_crypt(password, hash, sizeof(hash), &err);
    vn_ks_wipe_free(password);
    if (rc != VN_OK)
        return cli_report(&err);
    spec.rootpw_hash = hash;

    vn_buf ks = VN_BUF_INIT;
    rc = vn_ks_generate(&spec, &ks, &err);
    explicit_bzero(hash, sizeof(hash));
    if (rc != VN_OK) {
        vn_buf_free(&ks);
        return cli_report(&err);
    }
    if (!outpath) {
        fwrite(ks.data, 1, ks.len, stdout);
        vn_buf_free(&ks);
        return fflush(stdout) == 0 ? VN_OK
                                   : cli_fail(VN_ERUNTIME, "stdout", "cannot write the kickstart");
    }
    /* New files get 0600: the hash is not for everyone to read. */
    rc = vn_file_replace(outpath, ks.data, ks.len, 0600, &err);
    vn_buf_free(&ks);
    if (rc != VN_OK)
        return cli_report(&err);
    const char *route = spec.rel->template_clone_ok ? "fresh-install-or-template" : "fresh-install";
    if (ctx->json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "file", json_string(outpath));
        json_object_set_new(doc, "esxi", json_string(spec.rel->name));
        json_object_set_new(doc, "route", json_string(route));
        json_object_set_new(doc, "datastore", json_string(spec.keep_datastore ? "keep" : "none"));
        json_object_set_new(
            doc, "network",
            json_string(spec.network == VN_KS_NET_GUESTINFO ? "guestinfo" : "dhcp"));
        json_object_set_new(doc, "ssh", json_boolean(spec.ssh));
        json_object_set_new(doc, "shell", json_boolean(spec.shell));
        json_object_set_new(doc, "vsan", json_boolean(spec.vsan));
        json_object_set_new(doc, "legacy_cpu", json_boolean(spec.legacy_cpu));
        json_object_set_new(doc, "keyboard",
                            spec.keyboard ? json_string(spec.keyboard) : json_null());
        json_object_set_new(doc, "rootpw", json_string("sha512-crypt"));
        cli_json_emit(doc);
    } else if (ctx->verbose >= 0) {
        printf("wrote %s: ESXi %s kickstart (root password as a SHA-512 crypt hash, %s)\n", outpath,
               spec.rel->name, spec.keep_datastore ? "local datastore kept" : "no local datastore");
        if (!spec.rel->template_clone_ok)
            puts("install every nested host fresh from it (S17); boot the VMs without UEFI "
                 "Secure Boot so %firstboot runs");
        else
            puts("boot the VMs without UEFI Secure Boot so %firstboot runs");
    }
    return VN_OK;
}

static const cli_opt opts[] = {
    {"esxi", 0, "VER", "the ESXi release to install (required)",
     "6.0 6.5 6.7 7.0 7.0U1 7.0U2 7.0U3 8.0 9.0"},
    {"output", 'o', "FILE", "write the kickstart to FILE, atomically (default: standard output)",
     NULL},
    {"password-file", 0, "FILE",
     "the root password, on one line, in a file only its owner can read (required)", NULL},
    {"legacy-cpu", 0, NULL, "keep allowLegacyCPU=true in both boot banks (S5)", NULL},
    {"datastore", 0, "MODE", "none (default): no VMFS on the boot disk (S9); keep: make one",
     "none keep"},
    {"ssh", 0, NULL, "enable and start SSH at first boot (S6)", NULL},
    {"shell", 0, NULL, "enable and start the ESXi Shell at first boot (S6)", NULL},
    {"vsan", 0, NULL, "leave flash disks to vSAN, vSAN traffic on vmk0", NULL},
    {"network", 0, "MODE",
     "dhcp (default), or guestinfo: the host's identity from guestinfo.* at first boot (S16)",
     "dhcp guestinfo"},
    {"keyboard", 0, "NAME", "keyboard layout, e.g. 'US Default', German", NULL},
    {0},
};

const cli_cmd cmd_ks_new = {
    "ks new",
    "--esxi VER --password-file FILE [-o ks.cfg] [--legacy-cpu] [--datastore none|keep] [--ssh] "
    "[--shell] [--vsan] [--network dhcp|guestinfo] [--keyboard NAME]",
    "Write the kickstart of a Nested ESXi lab host",
    "Writes an ESXi kickstart (scripted install) for nested lab hosts. From ESXi 7.0 U2 on\n"
    "a fresh install of every host from such a file is the supported way to many nested\n"
    "hosts (S17); for older releases it also serves the install-seal-clone template route.\n"
    "\n"
    "The file accepts the EULA, sets the root password as a SHA-512 crypt hash of the\n"
    "password file's content (the password itself is never written or printed; the file\n"
    "must be readable by its owner only), installs on the first disk without a local VMFS\n"
    "datastore (--novmfsondisk, S9; --datastore keep makes one), configures DHCP on vmnic0\n"
    "without the \"VM Network\" port group (--addvmportgroup=0), and reboots.\n"
    "\n"
    "Its %firstboot script (busybox sh) sets /Net/FollowHardwareMac (S7); with --ssh and\n"
    "--shell it enables and starts SSH and the ESXi Shell and hides the shell warning (S6;\n"
    "both are off unless asked, as a lab choice); with --legacy-cpu it adds\n"
    "allowLegacyCPU=true once to the kernelopt of /bootbank/boot.cfg and\n"
    "/altbootbank/boot.cfg (S5), and a %post section does the same to the new boot banks so\n"
    "the first boot passes too; with --vsan the install skips flash disks (--ignoressd) and\n"
    "vmk0 is tagged for vSAN traffic. With --network guestinfo it reads guestinfo.hostname,\n"
    "ipaddress, netmask, gateway, dns, domain, ntp, vlan, ssh and createvmfs (the Nested\n"
    "ESXi appliance's keys) with vmtoolsd and applies them with esxcli (S16), so one ISO\n"
    "serves every host; createvmfs=true makes a VMFS datastore on the first disk without\n"
    "partitions. The script ends with /sbin/auto-backup.sh so the settings persist.\n"
    "%firstboot does not run under UEFI Secure Boot.\n"
    "\n"
    "Test hook: the scripts prefix every file they edit or run by path with $VNEST_ROOT\n"
    "(empty on a real host), so they can run against a simulated ESXi root.\n"
    "\n"
    "With --json (which needs -o) a summary without the hash is printed. New files are\n"
    "created with mode 0600.",
    "$ install -m 600 /dev/null pw && $EDITOR pw\n"
    "$ vnest ks new --esxi 8.0 --password-file pw --ssh --shell -o KS.CFG\n"
    "$ vnest ks new --esxi 7.0U1 --password-file pw --legacy-cpu --network guestinfo "
    "--vsan -o KS.CFG\n"
    "$ vnest ks new --esxi 8.0 --password-file <(pass show lab/esxi) > ks.cfg",
    0,
    0,
    opts,
    run_new,
};
