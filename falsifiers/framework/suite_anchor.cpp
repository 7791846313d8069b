// pv_falsifiers is an OBJECT library so the static registrars of every falsifier in
// falsifiers/suite/ reach the pv executable; falsifiers/suite/CMakeLists.txt adds its sources.
// This file gives the library a source of its own when the suite is built without any.
namespace pv::falsify {
int suite_anchor() { return 0; }
}  // namespace pv::falsify
