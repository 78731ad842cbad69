/* Unit tests for the lab file parser (lib/vn_labfile.c): what a good file
 * yields, the defaults, and the FILE:LINE:COLUMN of each kind of mistake. */
#define TH_SUITE "labfile"
#include "harness.h"

#include "vn_apinet.h"
#include "vn_labfile.h"
#include "vn_size.h"

static int parse(const char *text, vn_labfile *lf, vn_error *err)
{
    vn_error_clear(err);
    return vn_labfile_parse("labs/lab.yaml", text, strlen(text), lf, err);
}

/* The error's place and a piece of its message. */
static void expect_error(const char *fn, int line, const char *text, const char *where,
                         const char *msg_part)
{
    vn_labfile lf;
    vn_error err;
    int rc = parse(text, &lf, &err);
    if (rc != VN_EINPUT)
        fail_in(fn, line, "rc %d, expected %d (input error)", rc, VN_EINPUT);
    else if (strcmp(err.where, where) != 0)
        fail_in(fn, line, "where \"%s\", expected \"%s\" (%s)", err.where, where, err.msg);
    else if (!strstr(err.msg, msg_part))
        fail_in(fn, line, "message \"%s\" lacks \"%s\"", err.msg, msg_part);
    vn_labfile_free(&lf);
}
#define EXPECT_ERROR(text, where, part) expect_error(__func__, __LINE__, text, where, part)

static const char full[] = "lab: demo\n"
                           "esxi: \"8.0\"\n"
                           "connection:\n"
                           "  url: https://vcsa.lab.local\n"
                           "  username: administrator@vsphere.local\n"
                           "  password-file: vc.pw\n"
                           "  insecure: false\n"
                           "target: {datacenter: DC0, cluster: C0, datastore: ds1}\n"
                           "network:\n"
                           "  portgroups: [Trunk, \"VM Network\"]\n"
                           "  mode: maclearn\n"
                           "installer: {iso: /iso/esxi.iso}\n"
                           "hosts:\n"
                           "  count: 3\n"
                           "  names: esxi-%02d\n"
                           "  cpus: 4\n"
                           "  memory: 16G\n"
                           "  vsan-cache: 20G\n"
                           "  vsan-capacity: 100G\n"
                           "  password-file: root.pw\n"
                           "  ssh: yes\n"
                           "ip:\n"
                           "  start: 10.0.0.254\n"
                           "  netmask: 255.255.255.0\n"
                           "  dns: 10.0.0.1, 10.0.0.2\n"
                           "guestinfo: {syslog: udp://10.0.0.5:514}\n";

TEST(full_file)
{
    vn_labfile lf;
    vn_error err;
    int rc = parse(full, &lf, &err);
    CHECK_INT(rc, VN_OK);
    if (rc != VN_OK) {
        FAILF("%s: %s", err.where, err.msg);
        return;
    }
    CHECK_STR(lf.name, "demo");
    CHECK_STR(lf.rel->name, "8.0");
    CHECK_INT(lf.route, VN_LAB_ROUTE_KICKSTART); /* S17: the default from 7.0 U2 */
    CHECK_STR(lf.url, "https://vcsa.lab.local");
    CHECK_STR(lf.password_file, "labs/vc.pw"); /* relative to the lab file */
    CHECK_INT(lf.insecure, 0);
    CHECK_STR(lf.cluster, "C0");
    CHECK_INT(lf.nportgroups, 2);
    CHECK_STR(lf.portgroups[1], "VM Network");
    CHECK_INT(lf.netmode, VN_NETMODE_MACLEARN);
    CHECK_STR(lf.iso, "/iso/esxi.iso");
    CHECK_STR(lf.iso_folder, "vnest");
    CHECK_INT(lf.count, 3);
    CHECK_STR(lf.hosts[2].name, "esxi-03");
    /* addresses cross an octet boundary */
    CHECK_STR(lf.hosts[0].ip, "10.0.0.254");
    CHECK_STR(lf.hosts[2].ip, "10.0.1.0");
    CHECK_INT(lf.memory, 16 * VN_GIB);
    CHECK_INT(lf.vsan_capacity, 100 * VN_GIB);
    CHECK_INT(lf.ssh, 1);
    CHECK_STR(lf.root_password_file, "labs/root.pw");
    CHECK_INT(lf.ngi, 3);
    CHECK_STR(lf.gi_keys[1], "dns");
    CHECK_STR(lf.gi_values[1], "10.0.0.1, 10.0.0.2");
    CHECK_STR(lf.gi_keys[2], "syslog");
    vn_labfile_free(&lf);
}

TEST(defaults_template_route)
{
    vn_labfile lf;
    vn_error err;
    int rc = parse("lab: old\nesxi: 6.7\ntemplate: t67\nnetwork: {portgroups: pg}\n"
                   "hosts: {count: 2}\n",
                   &lf, &err);
    CHECK_INT(rc, VN_OK);
    if (rc != VN_OK)
        return;
    CHECK_INT(lf.route, VN_LAB_ROUTE_TEMPLATE); /* older releases clone */
    CHECK_STR(lf.hosts[1].name, "old-esxi-02");
    CHECK_STR(lf.hosts[0].ip, "");
    CHECK_INT(lf.insecure, -1); /* the govc environment decides */
    CHECK_INT(lf.boot_timeout, 1800);
    vn_labfile_free(&lf);
}

#define HEAD "lab: t\nesxi: \"8.0\"\nnetwork: {portgroups: [pg]}\ninstaller: {iso: x.iso}\n"

TEST(errors_with_positions)
{
    EXPECT_ERROR(HEAD "hosts: {count: 2, password-file: p}\nhostz: 3\n", "labs/lab.yaml:6:1",
                 "unknown key \"hostz\"");
    EXPECT_ERROR(HEAD "hosts:\n  count: 2\n  password-file: p\n  cpu: 4\n", "labs/lab.yaml:8:3",
                 "unknown key \"cpu\" in hosts (expected one of: count, names, cpus");
    EXPECT_ERROR(HEAD "hosts: {count: [1], password-file: p}\n", "labs/lab.yaml:5:9",
                 "hosts.count is not a single value");
    EXPECT_ERROR(HEAD "hosts: {count: 0, password-file: p}\n", "labs/lab.yaml:5:16",
                 "from 1 to 1000");
    EXPECT_ERROR(HEAD "hosts: {count: 5, password-file: p}\nip: {range: 10.0.0.1-10.0.0.4}\n",
                 "labs/lab.yaml:6:13", "holds 4 addresses (expected at least 5");
    EXPECT_ERROR(HEAD "hosts: {count: 2, password-file: p}\nip: {start: 255.255.255.255}\n",
                 "labs/lab.yaml:6:13", "too few addresses");
    EXPECT_ERROR(HEAD "hosts: {count: 2, password-file: p, memory: lots}\n", "labs/lab.yaml:5:45",
                 "hosts.memory");
    EXPECT_ERROR(HEAD "hosts: {count: 2, password-file: p, ssh: maybe}\n", "labs/lab.yaml:5:42",
                 "(expected true or false)");
    EXPECT_ERROR(HEAD "hosts: {count: 2, password-file: p}\nip: {gateway: 10.0.0}\n",
                 "labs/lab.yaml:6:15", "ip.gateway (expected an IPv4 address)");
    EXPECT_ERROR(HEAD "hosts: {count: 2, password-file: p}\nguestinfo: {hostname: x}\n",
                 "labs/lab.yaml:6:13", "set by vnest");
    EXPECT_ERROR(HEAD "hosts: {count: 2}\n", "labs/lab.yaml:5:1", "needs hosts.password-file");
    EXPECT_ERROR("lab: t\nesxi: \"8.0\"\nnetwork: {portgroups: [pg, pg]}\n", "labs/lab.yaml:3:28",
                 "listed twice");
    EXPECT_ERROR("lab: t\nesxi: 5.5\n", "labs/lab.yaml:2:7", "unknown ESXi release");
    EXPECT_ERROR("lab: \"a b\"\n", "labs/lab.yaml:1:7", "lab name"); /* inside the quotes */
    EXPECT_ERROR("lab: t\nesxi: 6.7\nroute: fast\nnetwork: {portgroups: pg}\n", "labs/lab.yaml:3:8",
                 "expected kickstart or template");
    EXPECT_ERROR(
        "lab: t\nesxi: 6.7\nroute: template\nnetwork: {portgroups: pg}\nhosts: {count: 1}\n",
        "labs/lab.yaml:3:8", "needs template: NAME");
}

TEST(errors_whole_file)
{
    EXPECT_ERROR("", "labs/lab.yaml", "empty or not a YAML document");
    EXPECT_ERROR("- a\n- b\n", "labs/lab.yaml", "not a mapping");
    EXPECT_ERROR("esxi: \"8.0\"\n", "labs/lab.yaml", "lab is missing");
    EXPECT_ERROR("lab: t\nesxi: \"8.0\"\n", "labs/lab.yaml", "network.portgroups is missing");
    EXPECT_ERROR("lab: t\nesxi: [\n", "labs/lab.yaml:3:1", "YAML syntax");
    EXPECT_ERROR("lab: t\nlab: u\n", "labs/lab.yaml:2:1", "duplicate key");
    /* libfyaml 0.7 hangs on this one (fuzz_labfile): refused before it */
    EXPECT_ERROR("%\xb9", "labs/lab.yaml:1:1", "a YAML directive");
    EXPECT_ERROR("lab: t\nesxi: \"8.\xc3\x28\"\n", "labs/lab.yaml:2:10",
                 "byte 0xC3 (expected UTF-8");
    EXPECT_ERROR("lab: t\x01\n", "labs/lab.yaml:1:7", "byte 0x01");
    EXPECT_ERROR("lab: &x t\nesxi: *x\n", "labs/lab.yaml:2:8", "esxi is a YAML alias");
}

TEST(names_unique_and_valid)
{
    EXPECT_ERROR(HEAD "hosts: {count: 2, names: esxi, password-file: p}\n", "labs/lab.yaml:5:26",
                 "exactly one %d");
    EXPECT_ERROR(HEAD "hosts: {count: 2, names: \"e-%d-%d\", password-file: p}\n",
                 "labs/lab.yaml:5:27", "exactly one %d");
}

int main(void)
{
    RUN(full_file);
    RUN(defaults_template_route);
    RUN(errors_with_positions);
    RUN(errors_whole_file);
    RUN(names_unique_and_valid);
    TH_EXIT();
}
