package main

// TEST EXTENSION: HostNetworkSystem.UpdatePortGroup.
//
// vcsim 0.24.2 (and govmomi's simulator as late as v0.57) has no
// UpdatePortGroup: stock vcsim answers MethodNotFound. This file SIMULATES the
// real ESXi method closely enough for vnest's tests; it is not VMware's code
// and not vcsim's, and a behaviour seen only here proves nothing about a real
// host. What it does, following the vSphere API reference for
// HostNetworkSystem.UpdatePortGroup(pgName, portgrp):
//
//   - finds the port group named pgName in that host's network configuration;
//     none: NotFound fault;
//   - portgrp.vswitchName must name a virtual switch of the host (NotFound
//     otherwise), portgrp.vlanId must be 0-4095 (InvalidArgument otherwise);
//   - replaces the port group's whole spec (name, vlanId, vswitchName,
//     policy) with portgrp: parts of policy left out are no longer overridden;
//   - recomputes computedPolicy: the switch's policy with the port group's
//     overrides applied field by field (security, NIC teaming, offload;
//     traffic shaping as a whole when the port group sets "enabled");
//   - moves the port group to another switch when vswitchName changes.
//
// Not simulated: renaming (portgrp.name != pgName) answers InvalidArgument
// "portgrp.name" instead of renaming, since vCenter's Network entities would
// have to follow; HostConfigFault; any effect on running VMs.
//
// `vcsim -stock` leaves the extension out.

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// testExtHostNetworkSystem wraps vcsim's HostNetworkSystem. It embeds it by
// value: the PropertyCollector follows field 0 of a registry object down to
// the mo.* type, which a pointer would hide.
type testExtHostNetworkSystem struct {
	simulator.HostNetworkSystem
}

// addTestExtensions replaces every host's HostNetworkSystem in the registry
// with the wrapper, under the same managed object reference.
func addTestExtensions() {
	for _, e := range simulator.Map.All("HostSystem") {
		h, ok := e.(*simulator.HostSystem)
		if !ok || h.ConfigManager.NetworkSystem == nil {
			continue
		}
		if ns, ok := simulator.Map.Get(*h.ConfigManager.NetworkSystem).(*simulator.HostNetworkSystem); ok {
			simulator.Map.Put(&testExtHostNetworkSystem{*ns})
		}
	}
}

func notFound(msg string) *soap.Fault {
	return simulator.Fault(msg, &types.NotFound{})
}

// UpdatePortGroup is the simulated method (see the top of this file).
func (s *testExtHostNetworkSystem) UpdatePortGroup(req *types.UpdatePortGroup) soap.HasFault {
	body := new(methods.UpdatePortGroupBody)
	spec := req.Portgrp

	pg := s.portGroup(req.PgName)
	if pg == nil {
		body.Fault_ = notFound("The object or item referred to could not be found.")
		return body
	}
	if spec.Name != req.PgName {
		body.Fault_ = simulator.Fault("TEST EXTENSION: renaming a port group is not simulated",
			&types.InvalidArgument{InvalidProperty: "portgrp.name"})
		return body
	}
	if spec.VlanId < 0 || spec.VlanId > 4095 {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "portgrp.vlanId"})
		return body
	}
	vsPolicy, ok := s.switchPolicy(spec.VswitchName)
	if !ok {
		body.Fault_ = notFound("virtual switch " + spec.VswitchName + " not found")
		return body
	}

	old := pg.Spec.VswitchName
	pg.Spec = spec
	pg.ComputedPolicy = computePolicy(vsPolicy, spec.Policy)
	if old != spec.VswitchName {
		pg.Vswitch = "key-vim.host.VirtualSwitch-" + spec.VswitchName
		s.moveBetweenSwitches(pg, spec.VswitchName)
	}
	s.syncHostConfig(pg)

	simulator.Map.Update(s, []types.PropertyChange{
		{Name: "networkInfo.portgroup", Val: s.NetworkInfo.Portgroup},
	})
	body.Res = new(types.UpdatePortGroupResponse)
	return body
}

func (s *testExtHostNetworkSystem) portGroup(name string) *types.HostPortGroup {
	if s.NetworkInfo == nil {
		return nil
	}
	for i := range s.NetworkInfo.Portgroup {
		if s.NetworkInfo.Portgroup[i].Spec.Name == name {
			return &s.NetworkInfo.Portgroup[i]
		}
	}
	return nil
}

func (s *testExtHostNetworkSystem) hostSwitches() []types.HostVirtualSwitch {
	if s.Host != nil && s.Host.Config != nil && s.Host.Config.Network != nil {
		return s.Host.Config.Network.Vswitch
	}
	return nil
}

// switchPolicy returns the policy of the named switch; vcsim keeps the full
// switch spec in the host's config.network, a bare list in networkInfo.
func (s *testExtHostNetworkSystem) switchPolicy(name string) (types.HostNetworkPolicy, bool) {
	for _, vs := range s.hostSwitches() {
		if vs.Name == name {
			if vs.Spec.Policy != nil {
				return *vs.Spec.Policy, true
			}
			return types.HostNetworkPolicy{}, true
		}
	}
	for _, vs := range s.NetworkInfo.Vswitch {
		if vs.Name == name {
			if vs.Spec.Policy != nil {
				return *vs.Spec.Policy, true
			}
			return types.HostNetworkPolicy{}, true
		}
	}
	return types.HostNetworkPolicy{}, false
}

func removeString(list []string, v string) []string {
	out := list[:0]
	for _, x := range list {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// moveBetweenSwitches updates the switches' port group lists (names in
// vcsim's networkInfo, keys in config.network).
func (s *testExtHostNetworkSystem) moveBetweenSwitches(pg *types.HostPortGroup, to string) {
	for i := range s.NetworkInfo.Vswitch {
		vs := &s.NetworkInfo.Vswitch[i]
		vs.Portgroup = removeString(vs.Portgroup, pg.Spec.Name)
		if vs.Name == to {
			vs.Portgroup = append(vs.Portgroup, pg.Spec.Name)
		}
	}
	sw := s.hostSwitches()
	for i := range sw {
		sw[i].Portgroup = removeString(sw[i].Portgroup, pg.Key)
		if sw[i].Name == to {
			sw[i].Portgroup = append(sw[i].Portgroup, pg.Key)
		}
	}
}

// syncHostConfig mirrors the port group into HostSystem.config.network when
// that is a separate copy (vcsim shares the slice until a port group is added).
func (s *testExtHostNetworkSystem) syncHostConfig(pg *types.HostPortGroup) {
	if s.Host == nil || s.Host.Config == nil || s.Host.Config.Network == nil {
		return
	}
	list := s.Host.Config.Network.Portgroup
	for i := range list {
		if list[i].Key == pg.Key && &list[i] != pg {
			list[i] = *pg
		}
	}
}

func copyBool(dst **bool, src *bool) {
	if src != nil {
		v := *src
		*dst = &v
	}
}

// computePolicy applies the port group's overrides to the switch policy.
func computePolicy(base, over types.HostNetworkPolicy) types.HostNetworkPolicy {
	var out types.HostNetworkPolicy

	out.Security = new(types.HostNetworkSecurityPolicy)
	for _, p := range []*types.HostNetworkSecurityPolicy{base.Security, over.Security} {
		if p != nil {
			copyBool(&out.Security.AllowPromiscuous, p.AllowPromiscuous)
			copyBool(&out.Security.MacChanges, p.MacChanges)
			copyBool(&out.Security.ForgedTransmits, p.ForgedTransmits)
		}
	}

	out.NicTeaming = new(types.HostNicTeamingPolicy)
	for _, p := range []*types.HostNicTeamingPolicy{base.NicTeaming, over.NicTeaming} {
		if p == nil {
			continue
		}
		t := out.NicTeaming
		if p.Policy != "" {
			t.Policy = p.Policy
		}
		copyBool(&t.ReversePolicy, p.ReversePolicy)
		copyBool(&t.NotifySwitches, p.NotifySwitches)
		copyBool(&t.RollingOrder, p.RollingOrder)
		if f := p.FailureCriteria; f != nil {
			if t.FailureCriteria == nil {
				t.FailureCriteria = new(types.HostNicFailureCriteria)
			}
			c := t.FailureCriteria
			if f.CheckSpeed != "" {
				c.CheckSpeed, c.Speed = f.CheckSpeed, f.Speed
			}
			copyBool(&c.CheckDuplex, f.CheckDuplex)
			copyBool(&c.FullDuplex, f.FullDuplex)
			copyBool(&c.CheckErrorPercent, f.CheckErrorPercent)
			if f.Percentage != 0 {
				c.Percentage = f.Percentage
			}
			copyBool(&c.CheckBeacon, f.CheckBeacon)
		}
		if p.NicOrder != nil {
			o := types.HostNicOrderPolicy{
				ActiveNic:  append([]string(nil), p.NicOrder.ActiveNic...),
				StandbyNic: append([]string(nil), p.NicOrder.StandbyNic...),
			}
			t.NicOrder = &o
		}
	}

	out.OffloadPolicy = new(types.HostNetOffloadCapabilities)
	for _, p := range []*types.HostNetOffloadCapabilities{base.OffloadPolicy, over.OffloadPolicy} {
		if p != nil {
			copyBool(&out.OffloadPolicy.CsumOffload, p.CsumOffload)
			copyBool(&out.OffloadPolicy.TcpSegmentation, p.TcpSegmentation)
			copyBool(&out.OffloadPolicy.ZeroCopyXmit, p.ZeroCopyXmit)
		}
	}

	out.ShapingPolicy = new(types.HostNetworkTrafficShapingPolicy)
	for _, p := range []*types.HostNetworkTrafficShapingPolicy{base.ShapingPolicy, over.ShapingPolicy} {
		if p != nil && p.Enabled != nil {
			v := *p
			copyBool(&v.Enabled, p.Enabled)
			*out.ShapingPolicy = v
		}
	}
	return out
}
