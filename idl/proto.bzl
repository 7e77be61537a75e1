"""weft_cc_proto: C++ (and optionally gRPC) code from .proto files with the system protoc.

Native proto_library needs @com_google_protobuf, which is not reachable offline, so protos
compile through a genrule calling /usr/bin/protoc (and grpc_cpp_plugin). The proto root is
`idl/`: `idl/weft/v1/wire.proto` is imported as "weft/v1/wire.proto" and its header included as
"weft/v1/wire.pb.h".
"""

def weft_cc_proto(name, srcs, deps = [], grpc = False, visibility = None):
    """Declares <name> (a cc_library) and <name>_srcs (the .proto files, for dependants).

    Args:
      name: library name, e.g. "wire_cc_proto".
      srcs: .proto files in this package.
      deps: other weft_cc_proto targets whose protos these import.
      grpc: also generate gRPC service stubs (.grpc.pb.h/.cc).
      visibility: visibility of the library.
    """
    pkg = native.package_name()
    if not pkg.startswith("idl/"):
        fail("weft_cc_proto must be used under idl/")
    rel = pkg[len("idl/"):]
    bases = [s[:-len(".proto")] for s in srcs]
    outs = [b + ".pb.h" for b in bases] + [b + ".pb.cc" for b in bases]
    if grpc:
        outs += [b + ".grpc.pb.h" for b in bases] + [b + ".grpc.pb.cc" for b in bases]
    dep_srcs = [d + "_srcs" for d in deps]
    native.filegroup(
        name = name + "_srcs",
        srcs = srcs + dep_srcs,
        visibility = ["//visibility:public"],
    )
    plugin = ""
    tools = []
    if grpc:
        plugin = " --grpc_out=$(BINDIR)/idl --plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin"
    native.genrule(
        name = name + "_gen",
        srcs = srcs + dep_srcs,
        outs = outs,
        cmd = ("/usr/bin/protoc -Iidl -I/usr/include --cpp_out=$(BINDIR)/idl" + plugin + " " +
               " ".join(["idl/%s/%s" % (rel, s) for s in srcs])),
        tools = tools,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        strip_include_prefix = "/idl",
        copts = ["-Wno-unused-parameter", "-Wno-deprecated-declarations"],
        deps = deps + ["//third_party:protobuf"] + (["//third_party:grpc"] if grpc else []),
        visibility = visibility,
    )
