/* Unit tests for the port group side of the profile (lib/vn_apinet.c):
 * reading RetrievePropertiesEx replies, the S13/S14 judgements (rules
 * portgroup-security and portgroup-mac-learning), mode resolution and the
 * request bodies, offline. The same bodies go to the simulator and through
 * the schema-order checker in tests/e2e/api_net.sh. */
#define TH_SUITE "apinet"
#include "harness.h"

#include "vn_apinet.h"
#include "vn_buf.h"
#include "vn_xmlw.h"

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

/* A reply the way vcsim writes it: the xsi prefix declared on each <val>
 * under a name of its own. The NIC teaming override carries an xsi:type
 * through that local prefix (real servers do not need one there; it is
 * here to prove the re-serialised fragment declares what it uses). */
static const char reply[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
    "<soapenv:Body><RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval>"
    /* host 1: the port group with overrides, VLAN 42 */
    "<objects><obj type=\"HostSystem\">host-21</obj>"
    "<propSet><name>config.network.portgroup</name>"
    "<val xmlns:XI=\"" XSI_NS "\" XI:type=\"ArrayOfHostPortGroup\">"
    "<HostPortGroup><key>key-vim.host.PortGroup-Other</key>"
    "<spec><name>Other</name><vlanId>0</vlanId><vswitchName>vSwitch0</vswitchName>"
    "<policy/></spec></HostPortGroup>"
    "<HostPortGroup><key>key-vim.host.PortGroup-Nested</key>"
    "<computedPolicy><security><allowPromiscuous>false</allowPromiscuous>"
    "<macChanges>true</macChanges></security></computedPolicy>"
    "<spec><name>Nested</name><vlanId>42</vlanId><vswitchName>vSwitch1</vswitchName>"
    "<policy><security><allowPromiscuous>false</allowPromiscuous></security>"
    "<nicTeaming XI:type=\"HostNicTeamingPolicy\"><policy>failover_explicit</policy>"
    "<nicOrder><activeNic>vmnic1</activeNic></nicOrder></nicTeaming>"
    "<shapingPolicy><enabled>true</enabled><averageBandwidth>1000</averageBandwidth>"
    "</shapingPolicy></policy></spec></HostPortGroup></val></propSet>"
    "<propSet><name>name</name><val>esx-01</val></propSet>"
    "<propSet><name>configManager.networkSystem</name>"
    "<val type=\"HostNetworkSystem\">hostnetworksystem-16</val></propSet></objects>"
    /* host 2: no such port group */
    "<objects><obj type=\"HostSystem\">host-34</obj>"
    "<propSet><name>name</name><val>esx-02</val></propSet></objects>"
    /* the port groups and their switch, the switch last */
    "<objects><obj type=\"DistributedVirtualPortgroup\">dvportgroup-13</obj>"
    "<propSet><name>name</name><val>Nested</val></propSet>"
    "<propSet><name>key</name><val>dvportgroup-13</val></propSet>"
    "<propSet><name>config.configVersion</name><val>7</val></propSet>"
    "<propSet><name>config.distributedVirtualSwitch</name>"
    "<val type=\"VmwareDistributedVirtualSwitch\">dvs-9</val></propSet>"
    "<propSet><name>config.defaultPortConfig</name><val>"
    "<securityPolicy><inherited>false</inherited>"
    "<allowPromiscuous><inherited>false</inherited><value>true</value></allowPromiscuous>"
    "<forgedTransmits><inherited>false</inherited><value>false</value></forgedTransmits>"
    "</securityPolicy>"
    "<macManagementPolicy><inherited>false</inherited><allowPromiscuous>true</allowPromiscuous>"
    "<macChanges>false</macChanges><forgedTransmits>true</forgedTransmits>"
    "<macLearningPolicy><inherited>false</inherited><enabled>false</enabled>"
    "<allowUnicastFlooding>false</allowUnicastFlooding><limit>1024</limit>"
    "<limitPolicy>allow</limitPolicy></macLearningPolicy></macManagementPolicy>"
    "</val></propSet></objects>"
    "<objects><obj type=\"DistributedVirtualPortgroup\">dvportgroup-14</obj>"
    "<propSet><name>name</name><val>Nested%2fOld</val></propSet>"
    "<propSet><name>config.distributedVirtualSwitch</name>"
    "<val type=\"VmwareDistributedVirtualSwitch\">dvs-10</val></propSet></objects>"
    "<objects><obj type=\"DistributedVirtualPortgroup\">dvportgroup-15</obj>"
    "<propSet><name>name</name><val>Unrelated</val></propSet></objects>"
    "<objects><obj type=\"VmwareDistributedVirtualSwitch\">dvs-9</obj>"
    "<propSet><name>name</name><val>DSwitch</val></propSet>"
    "<propSet><name>uuid</name><val>50 1a</val></propSet>"
    "<propSet><name>summary.productInfo.version</name><val>7.0.3</val></propSet></objects>"
    "<objects><obj type=\"VmwareDistributedVirtualSwitch\">dvs-10</obj>"
    "<propSet><name>name</name><val>OldSwitch</val></propSet>"
    "<propSet><name>summary.productInfo.version</name><val>6.5.0</val></propSet></objects>"
    "</returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>";

/* Reads `reply` looking for `name`; 0 when the reply did not parse. */
static int read_reply(const char *name, vn_netpgs *p)
{
    vn_soap_reply r;
    vn_fault f;
    vn_error e = {0};
    vn_netpgs_init(p, name);
    if (vn_soap_parse(reply, sizeof(reply) - 1, 200, "h", &r, &f, &e) != VN_OK) {
        FAILF("the canned reply does not parse: %s", e.msg);
        return 0;
    }
    const vn_xnode *rv = vn_xn_first(r.result, "returnval");
    for (const vn_xnode *o = vn_xn_first(rv, "objects"); o; o = vn_xn_next(o, "objects")) {
        vn_mor mor;
        vn_mor_from(vn_xn_first(o, "obj"), &mor);
        vn_netpgs_take(p, &mor, o);
    }
    vn_soap_reply_free(&r);
    vn_netpgs_finish(p);
    return 1;
}

/* `a` occurs in `s`, and `b` after it. */
static int in_order(const char *s, const char *a, const char *b)
{
    const char *x = strstr(s, a);
    return x && strstr(x + strlen(a), b) != NULL;
}

static const vn_finding *find_key(const vn_findings *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->v[i].key, key))
            return &f->v[i];
    return NULL;
}

TEST(version_cmp)
{
    CHECK(vn_version_cmp("6.5.0", "6.6.0") < 0);
    CHECK(vn_version_cmp("6.6.0", "6.6.0") == 0);
    CHECK(vn_version_cmp("6.6", "6.6.0") == 0);
    CHECK(vn_version_cmp("7.0.3", "6.6.0") > 0);
    CHECK(vn_version_cmp("6.10.0", "6.6.0") > 0); /* numeric, not text */
    CHECK(vn_version_cmp("", "6.6.0") < 0);
    CHECK(vn_version_cmp(NULL, "6.7") < 0);
    CHECK(vn_version_cmp("8.0.0.1", "8.0.0") > 0);
}

TEST(modes)
{
    CHECK_INT(vn_netmode_parse("auto"), VN_NETMODE_AUTO);
    CHECK_INT(vn_netmode_parse("promiscuous"), VN_NETMODE_PROMISCUOUS);
    CHECK_INT(vn_netmode_parse("maclearn"), VN_NETMODE_MACLEARN);
    CHECK_INT(vn_netmode_parse("MacLearn"), -1);
    CHECK_INT(vn_netmode_parse(""), -1);
    CHECK_INT(vn_netmode_parse(NULL), -1);
    CHECK_STR(vn_netmode_name(VN_NETMODE_MACLEARN), "maclearn");
    CHECK_STR(vn_netmode_name(VN_NETMODE_PROMISCUOUS), "promiscuous");

    vn_dvpg pg;
    memset(&pg, 0, sizeof(pg));
    snprintf(pg.name, sizeof(pg.name), "pg");
    vn_netmode m = VN_NETMODE_AUTO;
    vn_error e = {0};
    snprintf(pg.dvs_version, sizeof(pg.dvs_version), "6.5.0");
    CHECK_INT(vn_dvpg_mode(&pg, VN_NETMODE_AUTO, 1, &m, &e), VN_OK);
    CHECK_INT(m, VN_NETMODE_PROMISCUOUS);
    CHECK_INT(vn_dvpg_mode(&pg, VN_NETMODE_MACLEARN, 1, &m, &e), VN_EINPUT);
    CHECK_STR(e.where, "--mode");
    CHECK(strstr(e.msg, "6.6.0") && strstr(e.msg, "6.5.0"));
    snprintf(pg.dvs_version, sizeof(pg.dvs_version), "6.6.0");
    CHECK_INT(vn_dvpg_mode(&pg, VN_NETMODE_AUTO, 1, &m, &e), VN_OK);
    CHECK_INT(m, VN_NETMODE_MACLEARN);
    /* API before 6.7 has no macManagementPolicy to send */
    CHECK_INT(vn_dvpg_mode(&pg, VN_NETMODE_AUTO, 0, &m, &e), VN_OK);
    CHECK_INT(m, VN_NETMODE_PROMISCUOUS);
    CHECK_INT(vn_dvpg_mode(&pg, VN_NETMODE_MACLEARN, 0, &m, &e), VN_EINPUT);
    CHECK(strstr(e.msg, "6.7") != NULL);
    CHECK_INT(vn_dvpg_mode(&pg, VN_NETMODE_PROMISCUOUS, 1, &m, &e), VN_OK);
    CHECK_INT(m, VN_NETMODE_PROMISCUOUS);
    pg.dvs_version[0] = '\0'; /* unknown: no MAC learning assumed */
    CHECK_INT(vn_dvpg_mode(&pg, VN_NETMODE_MACLEARN, 1, &m, &e), VN_EINPUT);
    CHECK(strstr(e.msg, "unknown version") != NULL);
}

TEST(read_standard)
{
    vn_netpgs p;
    if (!read_reply("Nested", &p))
        return;
    CHECK_INT(p.nstd, 1);
    if (p.nstd == 1) {
        const vn_stdpg *pg = &p.std[0];
        CHECK_STR(pg->host.id, "host-21");
        CHECK_STR(pg->host_name, "esx-01"); /* a propSet after the port groups */
        CHECK_STR(pg->netsys.type, "HostNetworkSystem");
        CHECK_STR(pg->netsys.id, "hostnetworksystem-16");
        CHECK_STR(pg->name, "Nested");
        CHECK_STR(pg->vlan, "42");
        CHECK_STR(pg->vswitch, "vSwitch1");
        CHECK(pg->spec.promiscuous == 0 && pg->spec.mac_changes == -1 && pg->spec.forged == -1);
        CHECK(pg->computed.promiscuous == 0 && pg->computed.mac_changes == 1 &&
              pg->computed.forged == -1);
        CHECK(pg->policy_rest && in_order(pg->policy_rest, "<nicTeaming", "<shapingPolicy"));
        CHECK(pg->policy_rest && !strstr(pg->policy_rest, "<security"));
    }
    vn_netpgs_free(&p);
}

TEST(update_pg_body)
{
    vn_netpgs p;
    if (!read_reply("Nested", &p))
        return;
    if (p.nstd != 1) {
        FAILF("port group not read");
        vn_netpgs_free(&p);
        return;
    }
    vn_buf b = VN_BUF_INIT;
    vn_apinet_update_pg_body(&p.std[0], &b);
    CHECK(strstr(b.data, "<UpdatePortGroup xmlns=\"urn:vim25\"><_this type=\"HostNetworkSystem\">"
                         "hostnetworksystem-16</_this><pgName>Nested</pgName><portgrp>"
                         "<name>Nested</name><vlanId>42</vlanId><vswitchName>vSwitch1"
                         "</vswitchName><policy><security><allowPromiscuous>true"
                         "</allowPromiscuous><macChanges>true</macChanges><forgedTransmits>"
                         "true</forgedTransmits></security><nicTeaming") != NULL);
    CHECK(in_order(b.data, "failover_explicit", "<activeNic>vmnic1</activeNic>"));
    CHECK(in_order(b.data, "</nicTeaming>", "<averageBandwidth>1000</averageBandwidth>"));
    CHECK(in_order(b.data, "</shapingPolicy>", "</policy></portgrp></UpdatePortGroup>"));

    /* The whole body stands alone: the copied xsi:type resolves to the
     * XML Schema instance namespace, the copied elements to urn:vim25. */
    vn_error xe;
    vn_xdoc *d = vn_xml_parse(b.data, b.len, "body.xml", &xe);
    CHECK(d != NULL); /* an unbound prefix would fail the parse */
    const vn_xnode *call = vn_xn_first(vn_xn_first(vn_xml_root(d), "Body"), NULL);
    const vn_xnode *team = vn_xn_path(call, "portgrp/policy/nicTeaming");
    char t[64];
    CHECK_STR(vn_xn_xsi_type(team, t, sizeof(t)), "HostNicTeamingPolicy");
    CHECK(team && !strcmp(team->ns, "urn:vim25"));
    const vn_xnode *nic = vn_xn_path(team, "nicOrder/activeNic");
    CHECK(nic && !strcmp(nic->ns, "urn:vim25"));
    vn_xml_free(d);
    vn_buf_free(&b);
    vn_netpgs_free(&p);
}

TEST(read_distributed)
{
    vn_netpgs p;
    if (!read_reply("Nested", &p))
        return;
    CHECK_INT(p.ndv, 1);
    if (p.ndv == 1) {
        const vn_dvpg *pg = &p.dv[0];
        CHECK_STR(pg->mor.id, "dvportgroup-13");
        CHECK_STR(pg->key, "dvportgroup-13");
        CHECK_STR(pg->config_version, "7");
        CHECK_STR(pg->dvs.id, "dvs-9");
        CHECK_STR(pg->dvs_name, "DSwitch"); /* resolved though the switch came last */
        CHECK_STR(pg->dvs_uuid, "50 1a");
        CHECK_STR(pg->dvs_version, "7.0.3");
        CHECK(vn_dvpg_can_learn(pg));
        CHECK(pg->has_mac_policy && pg->mac.promiscuous == 1 && pg->mac.mac_changes == 0 &&
              pg->mac.forged == 1);
        CHECK(pg->learning == 0 && pg->flooding == 0 && pg->limit == 1024);
        CHECK_STR(pg->limit_policy, "allow");
        CHECK(pg->has_security && pg->legacy.promiscuous == 1 && pg->legacy.forged == 0 &&
              pg->legacy.mac_changes == -1);
    }
    vn_netpgs_free(&p);

    /* vCenter stores '/' in names as %2f */
    if (!read_reply("Nested/Old", &p))
        return;
    CHECK_INT(p.nstd, 0);
    CHECK_INT(p.ndv, 1);
    if (p.ndv == 1) {
        CHECK_STR(p.dv[0].dvs_version, "6.5.0");
        CHECK(!vn_dvpg_can_learn(&p.dv[0]));
        CHECK(!p.dv[0].has_mac_policy && !p.dv[0].has_security && p.dv[0].learning == -1 &&
              p.dv[0].limit == -1);
    }
    vn_netpgs_free(&p);

    if (!read_reply("nested", &p)) /* names are case-sensitive */
        return;
    CHECK(p.nstd == 0 && p.ndv == 0);
    vn_netpgs_free(&p);
}

TEST(rule_portgroup_security)
{
    const vn_rule *r = vn_rule_find("portgroup-security");
    if (!r) {
        FAILF("rule portgroup-security missing");
        return;
    }
    CHECK_STR(r->seed, "S13");
    CHECK_INT(r->severity, VN_SEV_ERROR);
    CHECK(r->surfaces == VN_SURF_API);

    vn_stdpg pg;
    memset(&pg, 0, sizeof(pg));
    vn_netsec sec = {0, -1, 1}; /* promiscuous rejected, MAC changes unset */
    pg.computed = sec;
    vn_findings f = {0};
    vn_apinet_check_std(&pg, &f);
    CHECK_INT(f.n, 2);
    const vn_finding *x = find_key(&f, "computedPolicy.security.allowPromiscuous");
    CHECK(x && x->rule == r && x->severity == VN_SEV_ERROR && x->fixable);
    CHECK(x && x->current && !strcmp(x->current, "false") && !strcmp(x->wanted, "true"));
    x = find_key(&f, "computedPolicy.security.macChanges");
    CHECK(x && x->severity == VN_SEV_INFO && x->current == NULL && x->note);
    CHECK(find_key(&f, "computedPolicy.security.forgedTransmits") == NULL);
    CHECK_INT(vn_findings_count(&f, VN_SEV_WARNING), 1); /* info alone passes a check */
    vn_findings_free(&f);

    vn_netsec all = {1, 1, 1};
    pg.computed = all;
    vn_apinet_check_std(&pg, &f);
    CHECK_INT(f.n, 0);
    vn_findings_free(&f);

    /* A distributed port group judged for promiscuous mode: the property
     * names follow the API version. */
    vn_dvpg dv;
    memset(&dv, 0, sizeof(dv));
    dv.learning = dv.flooding = -1;
    dv.limit = -1;
    vn_apinet_check_dvpg(&dv, VN_NETMODE_PROMISCUOUS, 0, &f);
    CHECK_INT(f.n, 3);
    CHECK(find_key(&f, "securityPolicy.allowPromiscuous") != NULL);
    CHECK(find_key(&f, "securityPolicy.forgedTransmits") != NULL);
    x = find_key(&f, "securityPolicy.macChanges");
    CHECK(x && x->severity == VN_SEV_INFO);
    vn_findings_free(&f);
    vn_netsec legacy = {1, 1, 1};
    dv.has_security = 1;
    dv.legacy = legacy;
    vn_apinet_check_dvpg(&dv, VN_NETMODE_PROMISCUOUS, 1, &f);
    CHECK_INT(f.n, 0); /* only securityPolicy reported: it counts */
    vn_findings_free(&f);
    vn_netsec mac = {0, 1, 1};
    dv.has_mac_policy = 1;
    dv.mac = mac; /* API 6.7+: macManagementPolicy wins when both are there */
    vn_apinet_check_dvpg(&dv, VN_NETMODE_PROMISCUOUS, 1, &f);
    CHECK_INT(f.n, 1);
    CHECK(find_key(&f, "macManagementPolicy.allowPromiscuous") != NULL);
    vn_findings_free(&f);
}

TEST(rule_portgroup_mac_learning)
{
    const vn_rule *r = vn_rule_find("portgroup-mac-learning");
    if (!r) {
        FAILF("rule portgroup-mac-learning missing");
        return;
    }
    CHECK_STR(r->seed, "S14");
    CHECK_INT(r->severity, VN_SEV_WARNING);
    CHECK(r->surfaces == VN_SURF_API);

    vn_dvpg dv;
    memset(&dv, 0, sizeof(dv));
    snprintf(dv.dvs_version, sizeof(dv.dvs_version), "6.6.0");
    dv.learning = dv.flooding = -1;
    dv.limit = -1;
    vn_findings f = {0};
    /* Nothing set: promiscuous unset counts as off, which is wanted. */
    vn_apinet_check_dvpg(&dv, VN_NETMODE_MACLEARN, 1, &f);
    CHECK_INT(f.n, 3);
    const vn_finding *x = find_key(&f, "macManagementPolicy.forgedTransmits");
    CHECK(x && x->rule == r && x->severity == VN_SEV_WARNING && x->note);
    x = find_key(&f, "macManagementPolicy.macLearningPolicy.enabled");
    CHECK(x && x->severity == VN_SEV_WARNING && x->current == NULL);
    x = find_key(&f, "macManagementPolicy.macChanges");
    CHECK(x && x->severity == VN_SEV_INFO);
    CHECK(find_key(&f, "macManagementPolicy.allowPromiscuous") == NULL);
    vn_findings_free(&f);

    /* The S13 way on a 6.6 switch: works, but promiscuous mode goes. */
    vn_netsec s13 = {1, 1, 1};
    dv.has_mac_policy = 1;
    dv.mac = s13;
    dv.learning = 0;
    vn_apinet_check_dvpg(&dv, VN_NETMODE_MACLEARN, 1, &f);
    CHECK_INT(f.n, 2);
    x = find_key(&f, "macManagementPolicy.allowPromiscuous");
    CHECK(x && x->current && !strcmp(x->current, "true") && !strcmp(x->wanted, "false"));
    x = find_key(&f, "macManagementPolicy.macLearningPolicy.enabled");
    CHECK(x && x->note == NULL); /* promiscuous still carries the traffic */
    vn_findings_free(&f);

    vn_netsec s14 = {0, 1, 1};
    dv.mac = s14;
    dv.learning = 1;
    vn_apinet_check_dvpg(&dv, VN_NETMODE_MACLEARN, 1, &f);
    CHECK_INT(f.n, 0);
    vn_findings_free(&f);
    /* Promiscuous mode asked for: learning may stay on. */
    vn_apinet_check_dvpg(&dv, VN_NETMODE_PROMISCUOUS, 1, &f);
    CHECK_INT(f.n, 1);
    CHECK(find_key(&f, "macManagementPolicy.allowPromiscuous") != NULL);
    vn_findings_free(&f);
}

TEST(dvpg_bodies)
{
    vn_dvpg dv;
    memset(&dv, 0, sizeof(dv));
    snprintf(dv.mor.type, sizeof(dv.mor.type), "DistributedVirtualPortgroup");
    snprintf(dv.mor.id, sizeof(dv.mor.id), "dvportgroup-13");
    snprintf(dv.name, sizeof(dv.name), "Nested <lab>");
    snprintf(dv.dvs_version, sizeof(dv.dvs_version), "6.5.0");
    dv.learning = dv.flooding = -1;
    dv.limit = -1;

    /* API 6.5: the legacy securityPolicy, no configVersion read (vcsim). */
    vn_buf b = VN_BUF_INIT;
    vn_apinet_dvpg_body(&dv, VN_NETMODE_PROMISCUOUS, 0, &b);
    CHECK(strstr(b.data, "<spec><name>Nested &lt;lab&gt;</name><defaultPortConfig "
                         "xsi:type=\"VMwareDVSPortSetting\"><securityPolicy><inherited>false"
                         "</inherited><allowPromiscuous><inherited>false</inherited><value>true"
                         "</value></allowPromiscuous><macChanges><inherited>false</inherited>"
                         "<value>true</value></macChanges><forgedTransmits><inherited>false"
                         "</inherited><value>true</value></forgedTransmits></securityPolicy>"
                         "</defaultPortConfig></spec>") != NULL);
    CHECK(!strstr(b.data, "configVersion") && !strstr(b.data, "macManagementPolicy"));
    vn_buf_free(&b);

    /* API 6.7, old switch: macManagementPolicy without MAC learning. */
    snprintf(dv.config_version, sizeof(dv.config_version), "12");
    vn_apinet_dvpg_body(&dv, VN_NETMODE_PROMISCUOUS, 1, &b);
    CHECK(in_order(b.data, "<spec><configVersion>12</configVersion><name>", "<defaultPortConfig"));
    CHECK(strstr(b.data, "<macManagementPolicy><inherited>false</inherited><allowPromiscuous>"
                         "true</allowPromiscuous><macChanges>true</macChanges><forgedTransmits>"
                         "true</forgedTransmits></macManagementPolicy>") != NULL);
    CHECK(!strstr(b.data, "securityPolicy") && !strstr(b.data, "macLearningPolicy"));
    vn_buf_free(&b);

    /* 6.6+ switch, MAC learning: the defaults where nothing was read. */
    snprintf(dv.dvs_version, sizeof(dv.dvs_version), "7.0.0");
    vn_apinet_dvpg_body(&dv, VN_NETMODE_MACLEARN, 1, &b);
    CHECK(strstr(b.data, "<macManagementPolicy><inherited>false</inherited><allowPromiscuous>"
                         "false</allowPromiscuous><macChanges>true</macChanges><forgedTransmits>"
                         "true</forgedTransmits><macLearningPolicy><inherited>false</inherited>"
                         "<enabled>true</enabled><allowUnicastFlooding>true"
                         "</allowUnicastFlooding><limit>4096</limit><limitPolicy>drop"
                         "</limitPolicy></macLearningPolicy></macManagementPolicy>") != NULL);
    vn_buf_free(&b);

    /* ... and what was read is kept; promiscuous mode keeps learning as is. */
    dv.flooding = 0;
    dv.limit = 1024;
    snprintf(dv.limit_policy, sizeof(dv.limit_policy), "allow");
    vn_apinet_dvpg_body(&dv, VN_NETMODE_MACLEARN, 1, &b);
    CHECK(strstr(b.data, "<enabled>true</enabled><allowUnicastFlooding>false"
                         "</allowUnicastFlooding><limit>1024</limit><limitPolicy>allow"
                         "</limitPolicy>") != NULL);
    vn_buf_free(&b);
    dv.learning = 1;
    vn_apinet_dvpg_body(&dv, VN_NETMODE_PROMISCUOUS, 1, &b);
    CHECK(strstr(b.data, "<allowPromiscuous>true</allowPromiscuous>") != NULL);
    CHECK(strstr(b.data, "<enabled>true</enabled>") != NULL);
    vn_buf_free(&b);
    dv.learning = -1;
    vn_apinet_dvpg_body(&dv, VN_NETMODE_PROMISCUOUS, 1, &b);
    CHECK(strstr(b.data, "<enabled>false</enabled>") != NULL);
    vn_buf_free(&b);
}

int main(void)
{
    RUN(version_cmp);
    RUN(modes);
    RUN(read_standard);
    RUN(update_pg_body);
    RUN(read_distributed);
    RUN(rule_portgroup_security);
    RUN(rule_portgroup_mac_learning);
    RUN(dvpg_bodies);
    TH_EXIT();
}
