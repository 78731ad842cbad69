/* Unit tests of the OVF package readers: the bounded tar reader and the
 * manifest (vn_ovaread), the descriptor parser, its validation and its
 * mapping to VMX keys for the profile (vn_ovf). The archives are built here
 * byte by byte, so each header field is exercised on purpose; the e2e
 * suites use GNU tar and qemu-img for real packages. */
#define TH_SUITE "test_ovf"
#include <openssl/evp.h>

#include "harness.h"
#include "vn_buf.h"
#include "vn_ovaread.h"
#include "vn_ovf.h"
#include "vn_profile_vmx.h"

/* --- a tar builder ------------------------------------------------------------ */

static void tar_header(vn_buf *t, const char *name, unsigned long long size, char type, int base256)
{
    unsigned char h[512] = {0};
    snprintf((char *)h, 100, "%s", name);
    memcpy(h + 100, "0000644", 7);
    memcpy(h + 108, "0000000", 7);
    memcpy(h + 116, "0000000", 7);
    if (base256) {
        h[124] = 0x80;
        for (int i = 0; i < 8; i++)
            h[135 - i] = (unsigned char)(size >> (8 * i));
    } else {
        char num[32];
        snprintf(num, sizeof(num), "%011llo", size & 077777777777ull);
        memcpy(h + 124, num, 11);
    }
    memcpy(h + 136, "00000000000", 11);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    vn_buf_add(t, h, 512);
}

static void tar_member(vn_buf *t, const char *name, const char *data, size_t len)
{
    tar_header(t, name, len, '0', 0);
    vn_buf_add(t, data, len);
    static const char zero[512] = {0};
    if (len % 512)
        vn_buf_add(t, zero, 512 - len % 512);
}

static void tar_end(vn_buf *t)
{
    static const char zero[1024] = {0};
    vn_buf_add(t, zero, 1024);
}

static void sha256_hex(const char *data, size_t len, char *hex)
{
    unsigned char d[32];
    unsigned int n = 0;
    EVP_Digest(data, len, d, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < n; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
}

static const char ovf_text[] =
    "<?xml version=\"1.0\"?>\n"
    "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" "
    "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\" "
    "xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
    "CIM_ResourceAllocationSettingData\" "
    "xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
    "CIM_VirtualSystemSettingData\" xmlns:vmw=\"http://www.vmware.com/schema/ovf\">\n"
    "<References><File ovf:href=\"d1.vmdk\" ovf:id=\"f1\" ovf:size=\"5\"/></References>\n"
    "<DiskSection><Info>x</Info><Disk ovf:diskId=\"vd1\" ovf:fileRef=\"f1\" ovf:capacity=\"4\" "
    "ovf:capacityAllocationUnits=\"byte * 2^30\" "
    "ovf:format=\"http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized\"/>"
    "</DiskSection>\n"
    "<NetworkSection><Info>n</Info><Network ovf:name=\"VM Network\"/></NetworkSection>\n"
    "<VirtualSystem ovf:id=\"vs\"><Info>i</Info><Name>vs</Name>\n"
    "<OperatingSystemSection ovf:id=\"104\" ovf:version=\"7\" vmw:osType=\"vmkernel7Guest\">"
    "<Info>o</Info></OperatingSystemSection>\n"
    "<VirtualHardwareSection><Info>h</Info>\n"
    "<System><vssd:VirtualSystemType>vmx-13 vmx-19</vssd:VirtualSystemType></System>\n"
    "<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType>"
    "<rasd:VirtualQuantity>4</rasd:VirtualQuantity>"
    "<vmw:CoresPerSocket ovf:required=\"false\">2</vmw:CoresPerSocket></Item>\n"
    "<Item><rasd:AllocationUnits>byte * 2^30</rasd:AllocationUnits>"
    "<rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType>"
    "<rasd:VirtualQuantity>16</rasd:VirtualQuantity></Item>\n"
    "<Item><rasd:ElementName>SCSI 0</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID>"
    "<rasd:ResourceSubType>lsilogic-sas</rasd:ResourceSubType>"
    "<rasd:ResourceType>6</rasd:ResourceType></Item>\n"
    "<Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>Disk 1"
    "</rasd:ElementName><rasd:HostResource>ovf:/disk/vd1</rasd:HostResource>"
    "<rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent>"
    "<rasd:ResourceType>17</rasd:ResourceType></Item>\n"
    "<Item><rasd:Connection>VM Network</rasd:Connection><rasd:ElementName>NIC 1"
    "</rasd:ElementName><rasd:InstanceID>5</rasd:InstanceID>"
    "<rasd:ResourceSubType>E1000e</rasd:ResourceSubType>"
    "<rasd:ResourceType>10</rasd:ResourceType></Item>\n"
    "<vmw:Config ovf:required=\"false\" vmw:key=\"nestedHVEnabled\" vmw:value=\"true\"/>\n"
    "<vmw:Config ovf:required=\"false\" vmw:key=\"firmware\" vmw:value=\"efi\"/>\n"
    "<vmw:ExtraConfig ovf:required=\"false\" vmw:key=\"disk.EnableUUID\" vmw:value=\"TRUE\"/>\n"
    "</VirtualHardwareSection>\n"
    "<ProductSection ovf:class=\"vm\"><Info>p</Info>"
    "<Property ovf:key=\"password\" ovf:type=\"string\" ovf:password=\"true\" "
    "ovf:userConfigurable=\"true\" ovf:value=\"\"><Label>pw</Label></Property>"
    "</ProductSection>\n"
    "</VirtualSystem></Envelope>\n";

/* --- the descriptor ------------------------------------------------------------- */

TEST(capacity_units)
{
    CHECK(vn_ovf_capacity("32", "byte * 2^30") == 32ull << 30);
    CHECK(vn_ovf_capacity("8", "byte*2^20") == 8ull << 20);
    CHECK(vn_ovf_capacity("3", "byte * 1024") == 3072);
    CHECK(vn_ovf_capacity("100", NULL) == 100);
    CHECK(vn_ovf_capacity("2", "GigaBytes") == 2ull << 30);
    CHECK(vn_ovf_capacity("1", "byte * 2^64") == 0); /* overflow */
    CHECK(vn_ovf_capacity("${disk}", "byte * 2^30") == 0);
    CHECK(vn_ovf_capacity("5", "furlongs") == 0);
    CHECK(vn_ovf_capacity("-1", NULL) == 0);
}

TEST(parse_and_map)
{
    vn_ovf o;
    vn_error err = {0};
    CHECK_INT(vn_ovf_parse(ovf_text, strlen(ovf_text), "t.ovf", &o, &err), VN_OK);
    CHECK_INT(o.nfiles, 1);
    CHECK_INT(o.ndisks, 1);
    CHECK(o.ndisks == 1 && o.disks[0].capacity_bytes == 4ull << 30);
    CHECK_INT(o.nitems, 5);
    CHECK_INT(o.nprops, 1);
    CHECK(o.nprops == 1 && !strcmp(o.props[0].key, "vm.password") && o.props[0].password);
    CHECK_STR(o.os_type, "vmkernel7Guest");
    vn_findings f = {0};
    vn_ovf_validate(&o, &f);
    CHECK_INT(f.n, 0);
    vn_vmx *v = vn_ovf_vmx(&o);
    CHECK_STR(vn_vmx_get(v, "guestOS"), "vmkernel7");
    CHECK_STR(vn_vmx_get(v, "virtualHW.version"), "19"); /* the newest of the list */
    CHECK_STR(vn_vmx_get(v, "numvcpus"), "4");
    CHECK_STR(vn_vmx_get(v, "cpuid.coresPerSocket"), "2");
    CHECK_STR(vn_vmx_get(v, "memsize"), "16384");
    CHECK_STR(vn_vmx_get(v, "scsi0.virtualDev"), "lsisas1068");
    CHECK_STR(vn_vmx_get(v, "scsi0:0.fileName"), "d1.vmdk");
    CHECK_STR(vn_vmx_get(v, "ethernet0.virtualDev"), "e1000e");
    CHECK_STR(vn_vmx_get(v, "vhv.enable"), "TRUE");
    CHECK_STR(vn_vmx_get(v, "firmware"), "efi");
    CHECK_STR(vn_vmx_get(v, "disk.EnableUUID"), "TRUE");
    vn_vmx_free(v);
    const vn_release *rel = vn_ovf_release(&o);
    CHECK(rel && rel->id == VN_ESXI_70U2);
    vn_ovf_check(&o, rel, VN_ROLE_HOST, &f);
    int nic = 0, scsi = 0, nested = 0;
    for (size_t i = 0; i < f.n; i++) {
        if (!strcmp(f.v[i].rule->id, "nic-vmxnet3")) {
            nic = 1;
            CHECK_STR(f.v[i].key, "Item 'NIC 1' rasd:ResourceSubType");
            CHECK_STR(f.v[i].current, "E1000e");
            CHECK_STR(f.v[i].wanted, "VmxNet3");
            CHECK(f.v[i].line > 0);
        }
        scsi += !strcmp(f.v[i].rule->id, "storage-pvscsi");
        nested += !strcmp(f.v[i].rule->id, "nested-hv");
        CHECK(f.v[i].rule->surfaces & VN_SURF_OVF);
    }
    CHECK(nic && scsi == 1 && nested == 0);
    vn_findings_free(&f);
    vn_ovf_free(&o);
}

static int parse_error(const char *xml, const char *needle)
{
    vn_ovf o;
    vn_error err = {0};
    int rc = vn_ovf_parse(xml, strlen(xml), "x.ovf", &o, &err);
    vn_ovf_free(&o);
    if (rc != VN_EINPUT || !strstr(err.msg, needle)) {
        printf("     got rc %d: %s\n", rc, err.msg);
        return 0;
    }
    return 1;
}

TEST(refusals)
{
    CHECK(parse_error("<Envelope", "malformed XML"));
    CHECK(parse_error("<?xml version=\"1.0\"?><!DOCTYPE E [<!ENTITY a \"b\">]>"
                      "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\">"
                      "<VirtualSystem/></Envelope>",
                      "DTD"));
    CHECK(parse_error(
        "<?xml version=\"1.0\"?><!DOCTYPE E [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
        "<E>&x;</E>",
        "DTD"));
    CHECK(parse_error("<Envelope xmlns=\"urn:other\"/>", "not an OVF Envelope"));
    CHECK(parse_error("<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\"/>",
                      "no VirtualSystem"));
}

TEST(dangling_references)
{
    char *bad = vn_xstrdup(ovf_text);
    char *p = strstr(bad, "ovf:/disk/vd1");
    p[12] = '9'; /* ovf:/disk/vd9 */
    p = strstr(bad, "<rasd:Parent>3");
    p[13] = '8';
    p = strstr(bad, "ovf:fileRef=\"f1\"");
    p[14] = '2';
    vn_ovf o;
    vn_error err = {0};
    CHECK_INT(vn_ovf_parse(bad, strlen(bad), "t.ovf", &o, &err), VN_OK);
    vn_findings f = {0};
    vn_ovf_validate(&o, &f);
    int disk = 0, parent = 0, file = 0;
    for (size_t i = 0; i < f.n; i++) {
        disk += strstr(f.v[i].note, "ovf:/disk/vd9 names no") != NULL;
        parent += strstr(f.v[i].note, "Parent 8 names no") != NULL;
        file += strstr(f.v[i].note, "\"f2\" names no References/File") != NULL;
    }
    CHECK(disk == 1 && parent == 1 && file == 1);
    vn_findings_free(&f);
    vn_ovf_free(&o);
    free(bad);
}

/* The OVF surface judges through the VMX adapter: every rule that claims
 * the OVF surface must have one, or vn_ovf_check would silently skip it. */
TEST(ovf_surface_covered)
{
    for (size_t i = 0; i < vn_rule_count(); i++) {
        const vn_rule *r = vn_rule_at(i);
        if ((r->surfaces & VN_SURF_OVF) && !vn_profile_vmx_covers(r->id))
            FAILF("rule %s claims the OVF surface but has no VMX adapter", r->id);
    }
}

/* --- the archive ------------------------------------------------------------------ */

static void package(vn_buf *t, const char *disk, int corrupt, int with_mf)
{
    char hex[65], mf[512];
    vn_buf_reset(t);
    tar_member(t, "a.ovf", ovf_text, strlen(ovf_text));
    if (with_mf) {
        char h1[65];
        sha256_hex(ovf_text, strlen(ovf_text), h1);
        sha256_hex(disk, strlen(disk), hex);
        if (corrupt)
            hex[0] = hex[0] == '0' ? '1' : '0';
        snprintf(mf, sizeof(mf), "SHA256(a.ovf)= %s\nSHA256(d1.vmdk)= %s\n", h1, hex);
        tar_member(t, "a.mf", mf, strlen(mf));
    }
    tar_member(t, "d1.vmdk", disk, strlen(disk));
    tar_end(t);
}

static size_t count_rule(const vn_findings *f, const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += !strcmp(f->v[i].rule->id, rule);
    return n;
}

TEST(archive_good)
{
    vn_buf t = VN_BUF_INIT;
    package(&t, "12345", 0, 1);
    vn_ova ova;
    vn_findings f = {0};
    vn_error err = {0};
    CHECK_INT(vn_ova_open_mem(t.data, t.len, "m.ova", &ova, &f, &err), VN_OK);
    CHECK_INT(ova.n, 3);
    CHECK_STR(ova.ovf_name, "a.ovf");
    CHECK_INT(ova.ndig, 2);
    const char *hrefs[] = {"d1.vmdk"};
    long long sizes[] = {5};
    vn_ova_check_files(&ova, hrefs, sizes, 1, &f);
    CHECK_INT(vn_ova_verify_manifest(&ova, &f, &err), VN_OK);
    CHECK_INT(f.n, 0);
    vn_ova_close(&ova);
    vn_findings_free(&f);
    vn_buf_free(&t);
}

TEST(archive_problems)
{
    vn_buf t = VN_BUF_INIT;
    package(&t, "12345", 1, 1);
    vn_ova ova;
    vn_findings f = {0};
    vn_error err = {0};
    CHECK_INT(vn_ova_open_mem(t.data, t.len, "m.ova", &ova, &f, &err), VN_OK);
    const char *hrefs[] = {"d1.vmdk", "d2.vmdk"};
    long long sizes[] = {6, -1};
    vn_ova_check_files(&ova, hrefs, sizes, 2, &f);
    CHECK_INT(vn_ova_verify_manifest(&ova, &f, &err), VN_OK);
    CHECK_INT(count_rule(&f, "ova-manifest"), 1); /* d1 digest */
    CHECK_INT(count_rule(&f, "ova-files"), 2);    /* d1 size, d2 missing */
    vn_ova_close(&ova);
    vn_findings_free(&f);
    vn_buf_free(&t);
}

TEST(archive_malformed)
{
    vn_buf t = VN_BUF_INIT;
    package(&t, "12345", 0, 0);
    vn_ova ova;
    vn_findings f = {0};
    vn_error err = {0};
    size_t disk_header = 512 + (strlen(ovf_text) + 511) / 512 * 512;
    /* truncated inside the disk's data */
    CHECK_INT(vn_ova_open_mem(t.data, disk_header + 512 + 2, "m.ova", &ova, &f, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "member d1.vmdk is truncated") != NULL);
    vn_ova_close(&ova);
    /* a corrupt header checksum: the second member's */
    t.data[disk_header + 148] ^= 1;
    CHECK_INT(vn_ova_open_mem(t.data, t.len, "m.ova", &ova, &f, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "bad checksum") != NULL);
    vn_ova_close(&ova);
    /* the first one's: not recognised as a tar at all */
    t.data[148] ^= 1;
    CHECK_INT(vn_ova_open_mem(t.data, t.len, "m.ova", &ova, &f, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "not an OVA") != NULL);
    vn_ova_close(&ova);
    /* a size past the end, in base-256 */
    vn_buf_reset(&t);
    tar_header(&t, "a.ovf", 1ull << 40, '0', 1);
    tar_end(&t);
    CHECK_INT(vn_ova_open_mem(t.data, t.len, "m.ova", &ova, &f, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "a.ovf is truncated") != NULL);
    vn_ova_close(&ova);
    CHECK_INT(f.n, 0);
    vn_findings_free(&f);
    vn_buf_free(&t);
}

TEST(archive_pax_and_manifest_forms)
{
    vn_buf t = VN_BUF_INIT;
    /* a pax header renaming the next member, then a spaced SHA1 manifest */
    const char *pax = "18 path=x.ovf.ovf\n";
    tar_member(&t, "PaxHeader", pax, strlen(pax));
    t.data[156] = 'x';
    memset(t.data + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += (unsigned char)t.data[i];
    snprintf(t.data + 148, 8, "%06o", sum);
    tar_member(&t, "ignored-name", ovf_text, strlen(ovf_text));
    const char *mf = "SHA1 (x.ovf.ovf) = 0000000000000000000000000000000000000000\n"
                     "MD5(x)= 00\n";
    tar_member(&t, "x.mf", mf, strlen(mf));
    tar_end(&t);
    vn_ova ova;
    vn_findings f = {0};
    vn_error err = {0};
    CHECK_INT(vn_ova_open_mem(t.data, t.len, "p.ova", &ova, &f, &err), VN_OK);
    CHECK_STR(ova.ovf_name, "x.ovf.ovf");
    CHECK_INT(ova.ndig, 1);
    CHECK_INT(count_rule(&f, "ova-manifest"), 2); /* spaced form, unknown MD5 */
    vn_ova_close(&ova);
    vn_findings_free(&f);
    vn_buf_free(&t);
}

int main(void)
{
    RUN(capacity_units);
    RUN(parse_and_map);
    RUN(refusals);
    RUN(dangling_references);
    RUN(ovf_surface_covered);
    RUN(archive_good);
    RUN(archive_problems);
    RUN(archive_malformed);
    RUN(archive_pax_and_manifest_forms);
    TH_EXIT();
}
