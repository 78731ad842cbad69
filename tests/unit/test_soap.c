/* SOAP reading and writing: hardening, namespaces, faults, escaping, and
 * the API surface's view of a VM (canned replies shaped like vCenter's and
 * vcsim's). */
#define TH_SUITE "soap"
#include "harness.h"

#include "vn_profile_api.h"
#include "vn_soap.h"
#include "vn_xmlw.h"

static const char env_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope "
    "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>";
static const char env_tail[] = "</soapenv:Body></soapenv:Envelope>";

static int parse(const char *body, long status, vn_soap_reply *r, vn_fault *f, vn_error *e)
{
    vn_buf b = VN_BUF_INIT;
    vn_buf_adds(&b, env_head);
    vn_buf_adds(&b, body);
    vn_buf_adds(&b, env_tail);
    int rc = vn_soap_parse(b.data, b.len, status, "host:443", r, f, e);
    vn_buf_free(&b);
    return rc;
}

TEST(fault_type_from_xsi_type)
{
    vn_soap_reply r;
    vn_fault f;
    vn_error e = {0};
    int rc = parse("<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Login "
                   "failure</faultstring><detail><InvalidLoginFault xmlns=\"urn:vim25\" "
                   "xsi:type=\"InvalidLogin\"/></detail></soapenv:Fault>",
                   500, &r, &f, &e);
    CHECK_INT(rc, VN_ERUNTIME);
    CHECK_STR(f.type, "InvalidLogin");
    CHECK_STR(f.message, "Login failure");
    CHECK_STR(e.where, "host:443");
    CHECK(strstr(e.msg, "InvalidLogin") != NULL);
}

TEST(fault_type_from_element_name_when_untyped)
{
    vn_soap_reply r;
    vn_fault f;
    vn_error e = {0};
    parse("<soapenv:Fault><faultcode>x</faultcode><faultstring/><detail><NotAuthenticatedFault "
          "xmlns=\"urn:vim25\"/></detail></soapenv:Fault>",
          500, &r, &f, &e);
    CHECK_STR(f.type, "NotAuthenticated");
}

TEST(xsi_type_resolved_by_namespace_not_prefix)
{
    /* vcsim binds the XSI namespace to a prefix of its own. */
    vn_soap_reply r;
    vn_fault f;
    vn_error e = {0};
    int rc = parse("<R xmlns=\"urn:vim25\"><returnval><val "
                   "xmlns:XMLSchema-instance=\"http://www.w3.org/2001/XMLSchema-instance\" "
                   "XMLSchema-instance:type=\"xsd:boolean\" type=\"HostSystem\">true</val>"
                   "</returnval></R>",
                   200, &r, &f, &e);
    CHECK_INT(rc, VN_OK);
    const vn_xnode *val = vn_xn_path(r.result, "returnval/val");
    char buf[64];
    CHECK_STR(vn_xn_xsi_type(val, buf, sizeof(buf)), "boolean");
    CHECK_STR(vn_xn_mor_type(val, buf, sizeof(buf)), "HostSystem");
    vn_soap_reply_free(&r);
}

TEST(dtd_and_entities_refused)
{
    const char *doc = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM "
                      "\"file:///etc/passwd\">]><soapenv:Envelope "
                      "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>"
                      "<R xmlns=\"urn:vim25\"><returnval>&e;</returnval></R></soapenv:Body>"
                      "</soapenv:Envelope>";
    vn_soap_reply r;
    vn_fault f;
    vn_error e = {0};
    CHECK_INT(vn_soap_parse(doc, strlen(doc), 200, "h", &r, &f, &e), VN_ERUNTIME);
    CHECK(strstr(e.msg, "DTD") != NULL);
}

TEST(html_page_is_not_soap)
{
    const char *doc = "<html><body>502 Bad Gateway</body></html>";
    vn_soap_reply r;
    vn_fault f;
    vn_error e = {0};
    CHECK_INT(vn_soap_parse(doc, strlen(doc), 502, "h", &r, &f, &e), VN_ERUNTIME);
    CHECK(strstr(e.msg, "HTTP 502") != NULL);
}

TEST(writer_escapes_and_replaces_invalid_bytes)
{
    vn_buf b = VN_BUF_INIT;
    vn_xw_str(&b, "v", "a<b>&\"c\x01\xff\xc3\xa9\r");
    CHECK_STR(b.data, "<v>a&lt;b&gt;&amp;&quot;c\xEF\xBF\xBD\xEF\xBF\xBD\xc3\xa9&#13;</v>");
    vn_buf_reset(&b);
    vn_xw_str(&b, "unset", NULL); /* an unset optional field is absent */
    CHECK_INT(b.len, 0);
    vn_buf_free(&b);
}

static const char vm_reply[] =
    "<R xmlns=\"urn:vim25\"><returnval><objects><obj type=\"VirtualMachine\">vm-7</obj>"
    "<propSet><name>name</name><val xsi:type=\"xsd:string\">esxi-01</val></propSet>"
    "<propSet><name>config.guestId</name><val>vmkernel65Guest</val></propSet>"
    "<propSet><name>config.hardware.numCPU</name><val>1</val></propSet>"
    "<propSet><name>config.hardware.memoryMB</name><val>4096</val></propSet>"
    "<propSet><name>config.firmware</name><val>efi</val></propSet>"
    "<propSet><name>config.nestedHVEnabled</name><val>false</val></propSet>"
    "<propSet><name>config.bootOptions</name><val><enterBIOSSetup>true</enterBIOSSetup>"
    "</val></propSet>"
    "<propSet><name>config.hardware.device</name><val>"
    "<VirtualDevice xsi:type=\"ParaVirtualSCSIController\"><key>1000</key><busNumber>0</busNumber>"
    "</VirtualDevice>"
    "<VirtualDevice xsi:type=\"VirtualDisk\"><key>2000</key><backing><fileName>[ds] a.vmdk"
    "</fileName></backing><controllerKey>1000</controllerKey><unitNumber>0</unitNumber>"
    "</VirtualDevice>"
    "<VirtualDevice xsi:type=\"VirtualDisk\"><key>2001</key><backing><fileName>[ds] b.vmdk"
    "</fileName></backing><controllerKey>1000</controllerKey><unitNumber>1</unitNumber>"
    "</VirtualDevice>"
    "<VirtualDevice xsi:type=\"VirtualVmxnet3\"><key>4000</key></VirtualDevice>"
    "</val></propSet>"
    "<propSet><name>config.extraConfig</name><val><OptionValue><key>disk.EnableUUID</key>"
    "<value>FALSE</value></OptionValue><OptionValue><key>disk.EnableUUID</key><value>TRUE"
    "</value></OptionValue></val></propSet>"
    "</objects></returnval></R>";

TEST(api_vm_view_and_minimal_reconfigure)
{
    vn_soap_reply r;
    vn_fault f;
    vn_error e = {0};
    CHECK_INT(parse(vm_reply, 200, &r, &f, &e), VN_OK);
    const vn_xnode *o = vn_xn_path(r.result, "returnval/objects");
    vn_mor mor = {"VirtualMachine", "vm-7"};
    vn_api_vm vm;
    vn_api_vm_read(&vm, &mor, o);
    CHECK_STR(vm.name, "esxi-01");
    CHECK_STR(vn_vmx_get(vm.vmx, "guestOS"), "vmkernel65");
    CHECK_STR(vn_vmx_get(vm.vmx, "scsi0.virtualDev"), "pvscsi");
    CHECK_STR(vn_vmx_get(vm.vmx, "scsi0:1.fileName"), "[ds] b.vmdk");
    CHECK_STR(vn_vmx_get(vm.vmx, "ethernet0.virtualDev"), "vmxnet3");
    CHECK_STR(vn_vmx_get(vm.vmx, "disk.EnableUUID"), "TRUE"); /* last occurrence wins */

    vn_findings fs = {0};
    const vn_release *used = NULL;
    vn_profile_api_check(&vm, NULL, VN_ROLE_HOST, &fs, &used);
    CHECK_STR(used->name, "6.7");
    vn_buf spec = VN_BUF_INIT;
    size_t n = vn_profile_api_spec(&fs, &spec);
    /* numCPUs, extraConfig (virtualSSD), nestedHVEnabled, in schema order. */
    CHECK_INT(n, 3);
    CHECK_STR(spec.data, "<numCPUs>2</numCPUs><extraConfig><key>scsi0:1.virtualSSD</key>"
                         "<value xsi:type=\"xsd:string\">1</value></extraConfig>"
                         "<nestedHVEnabled>true</nestedHVEnabled>");
    vn_buf_free(&spec);
    vn_findings_free(&fs);
    /* As a template, the forced setup entry is cleared too. */
    vn_profile_api_check(&vm, NULL, VN_ROLE_TEMPLATE, &fs, &used);
    vn_profile_api_spec(&fs, &spec);
    CHECK(strstr(spec.data, "<bootOptions><enterBIOSSetup>false</enterBIOSSetup></bootOptions>") !=
          NULL);
    vn_buf_free(&spec);
    vn_findings_free(&fs);
    vn_api_vm_free(&vm);
    vn_soap_reply_free(&r);
}

int main(void)
{
    RUN(fault_type_from_xsi_type);
    RUN(fault_type_from_element_name_when_untyped);
    RUN(xsi_type_resolved_by_namespace_not_prefix);
    RUN(dtd_and_entities_refused);
    RUN(html_page_is_not_soap);
    RUN(writer_escapes_and_replaces_invalid_bytes);
    RUN(api_vm_view_and_minimal_reconfigure);
    TH_EXIT();
}
