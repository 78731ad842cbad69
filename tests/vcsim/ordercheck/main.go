// Command ordercheck checks vim25 SOAP request bodies against the schema
// rules that real vCenter/ESXi servers enforce and vcsim does not: every
// data object is an XSD <sequence> (base-type fields first, then the fields
// in declaration order), elements the schema does not know are rejected,
// required elements must be present, and a polymorphic element must carry a
// fitting xsi:type.
//
// The schema comes from govmomi's generated vim25/types (Debian's
// golang-github-vmware-govmomi-dev 0.24.2 = vSphere API 7.0): struct field
// order is the WSDL order, embedded structs are the base types, a field
// without ",omitempty" that is neither a pointer nor a slice is required
// (minOccurs=1), slices are repeatable, BaseXxx interfaces and AnyType are
// the places where xsi:type selects a subtype.
//
// Usage:
//
//	ordercheck [-q] FILE...   check request bodies (FILE "-" reads stdin)
//	ordercheck -fields TYPE   print a vim25 type's element order
//
// A FILE holds a whole SOAP envelope or just the method element. For each
// file it prints "OK FILE" or one line per problem:
//
//	ORDER FILE: line N: PATH: <b> after <a> (...)      sequence order broken
//	UNKNOWN FILE: line N: PATH: ...                     element/type not in the schema
//	MISSING FILE: line N: PATH: required <x> absent     minOccurs=1 field left out
//	TYPE FILE: line N: PATH: ...                        xsi:type absent or unfitting
//	ERROR FILE: ...                                     unreadable / not well-formed
//
// Exit status: 0 all files OK, 1 any problem, 2 usage error.
package main

import (
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/vmware/govmomi/vim25/types"
)

const (
	nsVim  = "urn:vim25"
	nsXSI  = "http://www.w3.org/2001/XMLSchema-instance"
	nsXSD  = "http://www.w3.org/2001/XMLSchema"
	nsSOAP = "http://schemas.xmlsoap.org/soap/envelope/"
)

// xsdTypes are the XML Schema built-in types a vim25 anyType value may name.
var xsdTypes = map[string]bool{
	"string": true, "boolean": true, "byte": true, "short": true, "int": true,
	"long": true, "float": true, "double": true, "dateTime": true,
	"base64Binary": true, "anyURI": true, "decimal": true, "integer": true,
	"unsignedByte": true, "unsignedShort": true, "unsignedInt": true,
	"unsignedLong": true, "anyType": true,
}

// Types the schema does not mark abstract but that no server accepts as they
// are: an element declared as one of these needs an xsi:type naming the
// concrete subtype (vsphere-api research, 1.0.1).
var needsSubtype = map[string]bool{
	"VirtualDevice":                          true,
	"VirtualDeviceBackingInfo":               true,
	"VirtualController":                      true,
	"VirtualSCSIController":                  true,
	"VirtualEthernetCard":                    true,
	"VmwareDistributedVirtualSwitchVlanSpec": true,
}

var (
	vimType  = types.TypeFunc()
	anyType  = reflect.TypeOf((*types.AnyType)(nil)).Elem()
	morType  = reflect.TypeOf(types.ManagedObjectReference{})
	vimPkg   = morType.PkgPath()
	fieldTab = map[reflect.Type]*typeInfo{}
)

type fieldInfo struct {
	name     string
	typ      reflect.Type // declared type, pointers and slices stripped
	repeat   bool         // slice: maxOccurs=unbounded
	required bool         // minOccurs=1
}

type typeInfo struct {
	fields []fieldInfo
	index  map[string]int
}

// isData reports whether t is a vim25 complex type (a struct from the types
// package); everything else (strings, numbers, enums, time.Time) is simple.
func isData(t reflect.Type) bool {
	return t != nil && t.Kind() == reflect.Struct && t.PkgPath() == vimPkg
}

func collect(t reflect.Type, out *[]fieldInfo) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			collect(f.Type, out) // base type: its fields come first
			continue
		}
		parts := strings.Split(f.Tag.Get("xml"), ",")
		name := parts[0]
		if name == "" || name == "-" {
			continue
		}
		attr, omit := false, false
		for _, o := range parts[1:] {
			switch o {
			case "attr", "chardata", "innerxml", "comment", "any":
				attr = true
			case "omitempty":
				omit = true
			}
		}
		if attr {
			continue
		}
		ft := f.Type
		repeat := false
		required := !omit && ft.Kind() != reflect.Ptr && ft.Kind() != reflect.Slice
		for ft.Kind() == reflect.Ptr || ft.Kind() == reflect.Slice {
			if ft.Kind() == reflect.Slice {
				repeat = true
			}
			ft = ft.Elem()
		}
		*out = append(*out, fieldInfo{name, ft, repeat, required})
	}
}

func info(t reflect.Type) *typeInfo {
	if ti, ok := fieldTab[t]; ok {
		return ti
	}
	ti := &typeInfo{index: map[string]int{}}
	collect(t, &ti.fields)
	for i, f := range ti.fields {
		ti.index[f.name] = i
	}
	fieldTab[t] = ti
	return ti
}

func typeName(t reflect.Type) string {
	if t == nil {
		return "?"
	}
	if t.Kind() == reflect.Interface && strings.HasPrefix(t.Name(), "Base") {
		return strings.TrimPrefix(t.Name(), "Base") // BaseFoo: Foo or a subtype
	}
	if t.Name() != "" {
		return t.Name()
	}
	return t.String()
}

// frame is one open element.
type frame struct {
	path   string
	t      reflect.Type // resolved type; nil when the element was already reported or is a header
	data   bool         // t is a complex type: children are checked against it
	last   int          // index of the last child field seen, -1 before the first
	count  map[int]int  // occurrences per field
	line   int
	isMOR  bool
	hasMOR bool // MOR carries its type attribute
}

type checker struct {
	file     string
	dec      *xml.Decoder
	problems int
}

func (c *checker) report(kind string, line int, format string, args ...interface{}) {
	c.problems++
	fmt.Printf("%s %s: line %d: %s\n", kind, c.file, line, fmt.Sprintf(format, args...))
}

// resolveQName resolves a QName attribute value (xsi:type) with the
// namespace declarations in scope.
func resolveQName(v string, ns map[string]string) (space, local string, ok bool) {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		space, ok = ns[v[:i]]
		return space, v[i+1:], ok
	}
	return ns[""], v, true
}

// declaredFits checks the xsi:type override xt (nil = an xsd built-in)
// against the declared type of the element.
func declaredFits(declared, xt reflect.Type, xsd string) bool {
	switch {
	case declared == anyType:
		return true
	case declared.Kind() == reflect.Interface:
		return xt != nil && xt.Kind() == reflect.Struct && reflect.PtrTo(xt).Implements(declared)
	case isData(declared):
		return xt == declared
	default: // simple type: an xsd built-in or the same named enum
		return (xt == nil && xsd != "") || xt == declared
	}
}

func (c *checker) child(parent *frame, se xml.StartElement, ns map[string]string, line int) *frame {
	name := se.Name.Local
	path := parent.path + "/" + name
	fr := &frame{path: path, last: -1, line: line}
	if parent.t == nil {
		return fr // inside something already reported
	}
	if !parent.data {
		c.report("UNKNOWN", line, "%s: element inside simple-typed <%s> (%s)", path, parentName(parent.path), typeName(parent.t))
		return fr
	}
	if se.Name.Space != nsVim {
		c.report("UNKNOWN", line, "%s: element in namespace %q, expected %q", path, se.Name.Space, nsVim)
		return fr
	}
	ti := info(parent.t)
	idx, ok := ti.index[name]
	if !ok {
		c.report("UNKNOWN", line, "%s: %s has no element <%s>", path, typeName(parent.t), name)
		return fr
	}
	f := ti.fields[idx]
	parent.count[idx]++
	switch {
	case idx < parent.last:
		c.report("ORDER", line, "%s: <%s> after <%s>; %s %s", path, name,
			ti.fields[parent.last].name, typeName(parent.t), orderHint(ti, idx, parent.last))
	case idx == parent.last && !f.repeat:
		c.report("ORDER", line, "%s: <%s> repeated (%s.%s occurs at most once)", path, name, typeName(parent.t), name)
	}
	if idx > parent.last {
		parent.last = idx
	}

	t := f.typ
	xsd := ""
	for _, a := range se.Attr {
		if a.Name.Local != "type" || a.Name.Space == "" {
			continue
		}
		if a.Name.Space != nsXSI {
			c.report("TYPE", line, "%s: attribute %s:type, prefix not bound to %s", path, a.Name.Space, nsXSI)
			continue
		}
		space, local, bound := resolveQName(a.Value, ns)
		var xt reflect.Type
		switch {
		case !bound:
			c.report("TYPE", line, "%s: xsi:type=%q uses an undeclared prefix", path, a.Value)
			return fr
		case space == nsXSD && xsdTypes[local]:
			xsd = local
		case space == nsVim:
			nt, known := vimType(local)
			if !known || strings.HasSuffix(local, "RequestType") {
				c.report("UNKNOWN", line, "%s: xsi:type=%q is not a vim25 type", path, a.Value)
				return fr
			}
			xt = nt
		default:
			c.report("UNKNOWN", line, "%s: xsi:type=%q (namespace %q) is not a known type", path, a.Value, space)
			return fr
		}
		if !declaredFits(t, xt, xsd) {
			got := a.Value
			c.report("TYPE", line, "%s: xsi:type=%q does not fit the declared type %s", path, got, typeName(t))
			return fr
		}
		if xt != nil {
			t = xt
		} else {
			t = reflect.TypeOf("") // an xsd built-in: simple content
		}
	}
	if t.Kind() == reflect.Interface {
		if t == anyType {
			c.report("TYPE", line, "%s: xsd:anyType element needs an xsi:type", path)
			return fr
		}
		base := strings.TrimPrefix(t.Name(), "Base")
		bt, known := vimType(base)
		if !known {
			c.report("TYPE", line, "%s: needs an xsi:type (declared %s)", path, typeName(t))
			return fr
		}
		if needsSubtype[base] {
			c.report("TYPE", line, "%s: needs an xsi:type naming a concrete subtype of %s", path, base)
			return fr
		}
		t = bt
	}
	fr.t = t
	fr.data = isData(t)
	fr.count = map[int]int{}
	if t == morType {
		fr.isMOR = true
		for _, a := range se.Attr {
			if a.Name.Space == "" && a.Name.Local == "type" && a.Value != "" {
				fr.hasMOR = true
			}
		}
	}
	return fr
}

func parentName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// orderHint says where the element belongs.
func orderHint(ti *typeInfo, idx, last int) string {
	return fmt.Sprintf("declares %s (#%d) before %s (#%d)",
		ti.fields[idx].name, idx+1, ti.fields[last].name, last+1)
}

// finish checks a closing element for required children.
func (c *checker) finish(fr *frame) {
	if fr.isMOR && !fr.hasMOR {
		c.report("MISSING", fr.line, "%s: ManagedObjectReference without its type attribute", fr.path)
	}
	if fr.t == nil || !fr.data {
		return
	}
	ti := info(fr.t)
	for i, f := range ti.fields {
		if f.required && fr.count[i] == 0 {
			c.report("MISSING", fr.line, "%s: required <%s> absent (%s)", fr.path, f.name, typeName(fr.t))
		}
	}
}

func (c *checker) run(r io.Reader) {
	c.dec = xml.NewDecoder(r)
	c.dec.Strict = true
	var stack []*frame
	nsStack := []map[string]string{{"xml": "http://www.w3.org/XML/1998/namespace"}}
	depthBody := -1 // stack depth of soapenv:Body, -1 outside
	skip := 0       // >0 while inside soapenv:Header
	methods := 0
	for {
		line, _ := c.dec.InputPos()
		tok, err := c.dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			c.problems++
			fmt.Printf("ERROR %s: not well-formed XML: %v\n", c.file, err)
			return
		}
		switch se := tok.(type) {
		case xml.StartElement:
			ns := map[string]string{}
			for k, v := range nsStack[len(nsStack)-1] {
				ns[k] = v
			}
			for _, a := range se.Attr {
				switch {
				case a.Name.Space == "xmlns":
					ns[a.Name.Local] = a.Value
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					ns[""] = a.Value
				}
			}
			nsStack = append(nsStack, ns)
			var fr *frame
			switch {
			case skip > 0:
				skip++
				fr = &frame{}
			case len(stack) == 0 && se.Name.Local == "Envelope":
				if se.Name.Space != nsSOAP {
					c.report("UNKNOWN", line, "Envelope in namespace %q, expected %q", se.Name.Space, nsSOAP)
				}
				fr = &frame{path: "Envelope"}
			case len(stack) == 1 && stack[0].path == "Envelope" && se.Name.Space == nsSOAP && se.Name.Local == "Header":
				skip = 1
				fr = &frame{}
			case len(stack) == 1 && stack[0].path == "Envelope" && se.Name.Space == nsSOAP && se.Name.Local == "Body":
				depthBody = 1
				fr = &frame{path: ""}
			case len(stack) == 1 && stack[0].path == "Envelope":
				c.report("UNKNOWN", line, "<%s> in the envelope, expected soapenv:Body", se.Name.Local)
				fr = &frame{}
			case len(stack) == 0 || len(stack) == depthBody+1:
				methods++
				fr = c.method(se, line, methods)
			default:
				fr = c.child(stack[len(stack)-1], se, ns, line)
			}
			stack = append(stack, fr)
		case xml.EndElement:
			nsStack = nsStack[:len(nsStack)-1]
			fr := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if skip > 0 {
				skip--
				continue
			}
			c.finish(fr)
		}
	}
	if methods == 0 {
		c.problems++
		fmt.Printf("ERROR %s: no method element found\n", c.file)
	}
}

func (c *checker) method(se xml.StartElement, line, n int) *frame {
	name := se.Name.Local
	fr := &frame{path: name, last: -1, line: line}
	if n > 1 {
		c.report("UNKNOWN", line, "%s: a second method element in one body", name)
		return fr
	}
	if se.Name.Space != nsVim {
		c.report("UNKNOWN", line, "%s: method element in namespace %q, expected %q", name, se.Name.Space, nsVim)
		return fr
	}
	t, ok := vimType(name)
	if ok && isData(t) {
		ti := info(t)
		if len(ti.fields) == 0 || ti.fields[0].name != "_this" {
			ok = false
		}
	}
	if !ok {
		c.report("UNKNOWN", line, "%s: not a vim25 method", name)
		return fr
	}
	fr.t, fr.data, fr.count = t, true, map[int]int{}
	return fr
}

func dumpFields(name string) int {
	t, ok := vimType(name)
	if !ok || !isData(t) {
		fmt.Fprintf(os.Stderr, "ordercheck: %s is not a vim25 data type\n", name)
		return 2
	}
	for _, f := range info(t).fields {
		flags := ""
		if f.required {
			flags += " required"
		}
		if f.repeat {
			flags += " repeated"
		}
		fmt.Printf("%s %s%s\n", f.name, typeName(f.typ), flags)
	}
	return 0
}

func main() {
	quiet := flag.Bool("q", false, "print nothing for files that pass")
	fields := flag.String("fields", "", "print the field order of a vim25 type and exit")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: ordercheck [-q] FILE...   |   ordercheck -fields TYPE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *fields != "" {
		os.Exit(dumpFields(*fields))
	}
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	bad := false
	for _, file := range flag.Args() {
		c := &checker{file: file}
		var r io.Reader
		if file == "-" {
			r = os.Stdin
		} else {
			f, err := os.Open(file)
			if err != nil {
				fmt.Printf("ERROR %s: %v\n", file, err)
				bad = true
				continue
			}
			r = f
		}
		c.run(r)
		if f, ok := r.(*os.File); ok && f != os.Stdin {
			f.Close()
		}
		if c.problems > 0 {
			bad = true
		} else if !*quiet {
			fmt.Println("OK", file)
		}
	}
	if bad {
		os.Exit(1)
	}
}
