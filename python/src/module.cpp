// hsinstall._core: the pybind11 binding. A translation table between Python values and the
// core's structs and functions; no validation, URL, state or token logic lives here.
//
// Results are the package's frozen slotted dataclasses (hsinstall/_types.py). When the package
// registers them (_register), this module reads each field's slot offset from the class's
// member descriptor and afterwards fills new instances directly: a result costs one
// allocation plus its fields, with no JSON round-trip and no Python __init__ on the way out.
// install_url and parse_callback, the two calls a web app makes per request, parse their
// keywords themselves (METH_FASTCALL); everything else goes through pybind11's dispatcher.
//
// Text: str in (CPython's cached UTF-8, not copied when the core takes a string_view),
// str out (bytes that are not UTF-8 come back as surrogate escapes, and go back in as the
// same bytes). Lists of names: any iterable of str, never a bare str (see strings_in).
// The GIL is released around every core call that can take long (config, JSON bodies,
// URL inspection, search) and around the hot calls when their input is large.
#include <pybind11/pybind11.h>
#include <structmember.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hsinstall/hsinstall.hpp"

namespace py = pybind11;
namespace hs = hsinstall;

namespace {

// ===========================================================================
// References, errors, the GIL

py::object steal(PyObject* o) {
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(o);
}

py::object borrow(PyObject* o) { return py::reinterpret_borrow<py::object>(o); }

[[noreturn]] void type_error(const std::string& msg) { throw py::type_error(msg); }
[[noreturn]] void value_error(const std::string& msg) { throw py::value_error(msg); }

std::string type_name(PyObject* o) { return Py_TYPE(o)->tp_name; }

std::string repr_of(PyObject* o) {
  PyObject* r = PyObject_Repr(o);
  if (!r) {
    PyErr_Clear();
    return "<?>";
  }
  py::object owner = steal(r);
  const char* s = PyUnicode_AsUTF8(r);
  if (!s) {
    PyErr_Clear();
    return "<?>";
  }
  std::string out(s);
  if (out.size() > 60) out = out.substr(0, 57) + "...";
  return out;
}

// Runs f without the GIL. f must not touch Python objects.
template <class F>
auto nogil(F&& f) {
  py::gil_scoped_release release;
  return f();
}

// Inputs this large are worth letting other threads run while the core works.
constexpr std::size_t kReleaseGilAbove = 4096;

// ===========================================================================
// Text and values in

struct Text {
  std::string_view view;
  py::object keep;  // a bytes object when the text had to be re-encoded or copied
};

Text text_in(PyObject* p, const char* what) {
  if (PyUnicode_Check(p)) {
    Py_ssize_t n = 0;
    const char* s = PyUnicode_AsUTF8AndSize(p, &n);
    if (s) return {std::string_view(s, static_cast<std::size_t>(n)), {}};
    // Lone surrogates. Those this module produced (surrogate escapes of bytes that were not
    // UTF-8) go back in as the same bytes, and the core reports them; others raise
    // UnicodeEncodeError, a ValueError.
    PyErr_Clear();
    py::object b = steal(PyUnicode_AsEncodedString(p, "utf-8", "surrogateescape"));
    return {std::string_view(PyBytes_AS_STRING(b.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(b.ptr()))), b};
  }
  type_error(std::string(what) + " must be str, not " + type_name(p));
}

// str, or bytes-like (a file's or an HTTP body's raw bytes).
Text text_or_bytes_in(PyObject* p, const char* what) {
  if (PyBytes_Check(p)) return {std::string_view(PyBytes_AS_STRING(p), static_cast<std::size_t>(PyBytes_GET_SIZE(p))), borrow(p)};
  if (PyByteArray_Check(p) || PyMemoryView_Check(p)) {
    py::object b = steal(PyBytes_FromObject(p));  // a copy: the original may change while the GIL is released
    return {std::string_view(PyBytes_AS_STRING(b.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(b.ptr()))), b};
  }
  if (PyUnicode_Check(p)) return text_in(p, what);
  type_error(std::string(what) + " must be str or bytes, not " + type_name(p));
}

std::string str_in(PyObject* p, const char* what) { return std::string(text_in(p, what).view); }

// None (or not given) is the core's empty string: "absent".
std::string opt_str_in(PyObject* p, const char* what) { return !p || p == Py_None ? std::string() : str_in(p, what); }

bool given(PyObject* p) { return p && p != Py_None; }

// A list of names: list, tuple or any other iterable of str. A bare str (or bytes) is refused
// with a TypeError instead of being iterated into letters, the trap of HubSpot's own helper.
std::vector<std::string> strings_in(PyObject* p, const char* what) {
  std::vector<std::string> out;
  if (!p || p == Py_None) return out;
  if (PyUnicode_Check(p) || PyBytes_Check(p) || PyByteArray_Check(p)) {
    std::string r = repr_of(p);
    type_error(std::string(what) + " takes a list of str, not a single " + type_name(p) +
               " (iterating it would give letters): write " + what + "=[" + r + "] for one name, or " + what + "=" + r +
               ".split() for several");
  }
  auto item = [&](PyObject* it, std::size_t i) {
    if (!PyUnicode_Check(it))
      type_error(std::string(what) + "[" + std::to_string(i) + "] must be str, not " + type_name(it));
    out.emplace_back(text_in(it, what).view);
  };
  if (PyList_Check(p) || PyTuple_Check(p)) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(p);
    out.reserve(static_cast<std::size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) item(PySequence_Fast_GET_ITEM(p, i), static_cast<std::size_t>(i));
    return out;
  }
  PyObject* iter = PyObject_GetIter(p);
  if (!iter) {
    PyErr_Clear();
    type_error(std::string(what) + " takes a list of str, not " + type_name(p));
  }
  py::object owner = steal(iter);
  std::size_t i = 0;
  while (PyObject* it = PyIter_Next(iter)) {
    py::object hold = steal(it);
    item(it, i++);
  }
  if (PyErr_Occurred()) throw py::error_already_set();
  return out;
}

// Bytes from anything with the buffer protocol (bytes, bytearray, memoryview); never str.
std::vector<std::uint8_t> bytes_in(PyObject* p, const char* what) {
  if (PyUnicode_Check(p) || !PyObject_CheckBuffer(p))
    type_error(std::string(what) + " must be bytes (for instance secrets.token_bytes(16) or an HMAC digest), not " + type_name(p));
  Py_buffer view;
  if (PyObject_GetBuffer(p, &view, PyBUF_SIMPLE) != 0) throw py::error_already_set();
  const auto* b = static_cast<const std::uint8_t*>(view.buf);
  std::vector<std::uint8_t> out(b, b + view.len);
  PyBuffer_Release(&view);
  return out;
}

// An int (a float is floored: time.time() is a float). bool is refused.
std::int64_t int_in(PyObject* p, const char* what) {
  if (PyBool_Check(p)) type_error(std::string(what) + " must be an int, not bool");
  if (PyFloat_Check(p)) {
    double d = PyFloat_AS_DOUBLE(p);
    if (!std::isfinite(d) || d >= 9.2e18 || d <= -9.2e18) value_error(std::string(what) + " is out of range");
    return static_cast<std::int64_t>(std::floor(d));
  }
  if (!PyLong_Check(p)) {
    PyObject* idx = PyNumber_Index(p);  // int-like objects (numpy integers) are fine
    if (!idx) {
      PyErr_Clear();
      type_error(std::string(what) + " must be an int, not " + type_name(p));
    }
    py::object owner = steal(idx);
    return int_in(idx, what);
  }
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(p, &overflow);
  if (overflow) value_error(std::string(what) + " is out of range");
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  return static_cast<std::int64_t>(v);
}

// HubSpot account ids are numbers; take them as int or str.
std::string account_in(PyObject* p) {
  if (!given(p)) return {};
  if (PyLong_Check(p) && !PyBool_Check(p)) return std::to_string(int_in(p, "account_id"));
  return str_in(p, "account_id");
}

// An enum from its core name (to_string of each value: the names live in the core).
template <class E>
E enum_in(PyObject* p, std::initializer_list<E> values, const char* what) {
  std::string_view s = text_in(p, what).view;
  std::string names;
  for (E e : values) {
    if (s == hs::to_string(e)) return e;
    names += names.empty() ? "" : ", ";
    names += std::string("'") + hs::to_string(e) + "'";
  }
  value_error(std::string(what) + " must be one of " + names + ", not " + repr_of(p));
}

// ===========================================================================
// Values out

py::object str_out(std::string_view s) {
  return steal(PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape"));
}

// The core's enum names are string literals: one interned str each, made once.
py::object name_out(const char* literal) {
  static std::vector<std::pair<const char*, PyObject*>> cache;
  for (const auto& [k, v] : cache)
    if (k == literal) return borrow(v);
  PyObject* s = PyUnicode_InternFromString(literal);
  if (!s) throw py::error_already_set();
  cache.emplace_back(literal, s);  // kept for the life of the process
  return borrow(s);
}

py::object strings_out(const std::vector<std::string>& v) {
  py::object t = steal(PyTuple_New(static_cast<Py_ssize_t>(v.size())));
  for (std::size_t i = 0; i < v.size(); ++i) PyTuple_SET_ITEM(t.ptr(), static_cast<Py_ssize_t>(i), str_out(v[i]).release().ptr());
  return t;
}

py::object pairs_out(const std::vector<std::pair<std::string, std::string>>& v) {
  py::object t = steal(PyTuple_New(static_cast<Py_ssize_t>(v.size())));
  for (std::size_t i = 0; i < v.size(); ++i) {
    PyObject* pair = PyTuple_New(2);
    if (!pair) throw py::error_already_set();
    PyTuple_SET_ITEM(t.ptr(), static_cast<Py_ssize_t>(i), pair);
    PyTuple_SET_ITEM(pair, 0, str_out(v[i].first).release().ptr());
    PyTuple_SET_ITEM(pair, 1, str_out(v[i].second).release().ptr());
  }
  return t;
}

py::object int_out(std::int64_t v) { return steal(PyLong_FromLongLong(v)); }
py::object opt_int_out(const std::optional<std::int64_t>& v) { return v ? int_out(*v) : py::none(); }
py::object bool_out(bool b) { return borrow(b ? Py_True : Py_False); }
py::object bytes_out(const std::vector<std::uint8_t>& v) {
  return steal(PyBytes_FromStringAndSize(reinterpret_cast<const char*>(v.data()), static_cast<Py_ssize_t>(v.size())));
}

// ===========================================================================
// Records: the package's frozen slotted dataclasses, filled slot by slot

enum Rec {
  R_Diagnostic,
  R_ScopeInfo,
  R_ScopeConfig,
  R_SupportInfo,
  R_PermittedUrls,
  R_AppConfig,
  R_InspectedUrl,
  R_Callback,
  R_StateToken,
  R_HttpRequest,
  R_Tokens,
  R_TokenError,
  R_TokenResponse,
  R_Introspection,
  R_IntrospectionResponse,
  R_ScopeComparison,
  R_LintReport,
  R_Count
};

struct RecordSpec {
  const char* name;
  std::vector<const char*> fields;  // in the dataclass's field order
};

const RecordSpec kRecords[R_Count] = {
    {"Diagnostic", {"code", "severity", "where", "message", "hint"}},
    {"ScopeInfo", {"name", "status", "replacements", "sensitivity", "tier", "description"}},
    {"ScopeConfig", {"required", "conditional", "optional"}},
    {"SupportInfo", {"email", "documentation_url", "support_url", "phone"}},
    {"PermittedUrls", {"fetch", "iframe", "img"}},
    {"AppConfig",
     {"format", "uid", "name", "description", "distribution", "auth_type", "redirect_urls", "scopes", "permitted_urls", "support",
      "diagnostics", "file_name"}},
    {"InspectedUrl",
     {"host", "hublet", "account_id", "client_id", "redirect_uri", "scopes", "optional_scopes", "state", "extra_params", "diagnostics",
      "url", "config"}},
    {"Callback", {"kind", "code", "state", "state_verified", "return_url", "extra_params", "diagnostics"}},
    {"StateToken", {"nonce", "expires_at", "mac", "signed_part"}},
    {"HttpRequest", {"method", "url", "headers", "body", "diagnostics"}},
    {"Tokens", {"access_token", "refresh_token", "expires_in", "token_type", "token_use", "id_token", "hub_id", "user_id", "scopes"}},
    {"TokenError",
     {"code", "retryable", "http_status", "error", "error_description", "status", "message", "category", "correlation_id"}},
    {"TokenResponse", {"tokens", "error", "diagnostics"}},
    {"Introspection",
     {"active", "app_id", "hub_id", "user_id", "expires_in", "client_id", "hub_domain", "user", "token_type", "token_use", "scopes"}},
    {"IntrospectionResponse", {"introspection", "error", "diagnostics"}},
    {"ScopeComparison", {"missing_required", "missing_conditional", "granted_optional", "missing_optional", "unexpected", "diagnostics"}},
    {"LintReport", {"file_name", "ok", "format", "diagnostics", "config"}},
};

struct RecordType {
  PyTypeObject* type = nullptr;
  std::vector<Py_ssize_t> offsets;
};
RecordType g_records[R_Count];  // filled by _register; the classes are kept for the process's life

PyObject** slot(PyObject* o, Py_ssize_t offset) { return reinterpret_cast<PyObject**>(reinterpret_cast<char*>(o) + offset); }

const RecordType& record_type(Rec r) {
  const RecordType& t = g_records[r];
  if (!t.type) throw std::runtime_error(std::string("hsinstall._core: ") + kRecords[r].name + " is not registered; import hsinstall, not hsinstall._core");
  return t;
}

// A new instance with every slot set (the values are moved in).
template <class... V>
py::object make(Rec r, V&&... values) {
  const RecordType& t = record_type(r);
  if (sizeof...(V) != t.offsets.size()) throw std::logic_error(std::string("hsinstall._core: wrong field count for ") + kRecords[r].name);
  py::object o = steal(t.type->tp_alloc(t.type, 0));
  std::size_t i = 0;
  ((*slot(o.ptr(), t.offsets[i++]) = py::object(std::forward<V>(values)).release().ptr()), ...);
  return o;
}

// A field of a record passed in (borrowed). Subclasses share the slots, so they are fine.
PyObject* field(Rec r, PyObject* o, std::size_t i) {
  PyObject* v = *slot(o, record_type(r).offsets[i]);
  if (!v) throw py::attribute_error(std::string(kRecords[r].name) + "." + kRecords[r].fields[i] + " is not set");
  return v;
}

void expect_record(Rec r, PyObject* o, const char* what) {
  if (!PyObject_TypeCheck(o, record_type(r).type))
    type_error(std::string(what) + " must be a hsinstall." + kRecords[r].name + ", not " + type_name(o));
}

// ===========================================================================
// Exceptions: the package's classes (ValueError subclasses carrying .diagnostics)

enum Err { E_Config, E_InstallUrl, E_Callback, E_State, E_TokenRequest, E_Count };
const char* const kErrorNames[E_Count] = {"ConfigError", "InstallUrlError", "CallbackError", "StateError", "TokenRequestError"};
PyObject* g_errors[E_Count] = {};
PyObject* g_built_url = nullptr;  // hsinstall.BuiltUrl, a str subclass
PyObject* g_catalogue = nullptr;  // tuple of ScopeInfo, in scope_catalogue() order

py::object diagnostic_out(const hs::Diagnostic& d) {
  return make(R_Diagnostic, str_out(d.code), name_out(hs::to_string(d.severity)), str_out(d.where), str_out(d.message), str_out(d.hint));
}

py::object diagnostics_out(const hs::Diagnostics& ds) {
  if (ds.empty()) return steal(PyTuple_New(0));
  py::object t = steal(PyTuple_New(static_cast<Py_ssize_t>(ds.size())));
  for (std::size_t i = 0; i < ds.size(); ++i) PyTuple_SET_ITEM(t.ptr(), static_cast<Py_ssize_t>(i), diagnostic_out(ds[i]).release().ptr());
  return t;
}

// validate_* and check_* return lists (DESIGN.md: Python returns lists from validate/check).
py::list diagnostics_list(const hs::Diagnostics& ds) {
  py::list l(ds.size());
  for (std::size_t i = 0; i < ds.size(); ++i) PyList_SET_ITEM(l.ptr(), static_cast<Py_ssize_t>(i), diagnostic_out(ds[i]).release().ptr());
  return l;
}

[[noreturn]] void raise_error(Err e, const hs::Diagnostics& ds) {
  if (!g_errors[e]) throw std::runtime_error(std::string("hsinstall._core: ") + kErrorNames[e] + " is not registered; import hsinstall");
  py::object exc = steal(PyObject_CallOneArg(g_errors[e], diagnostics_out(ds).ptr()));
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  throw py::error_already_set();
}

// ===========================================================================
// scopes

py::object scope_info_out(const hs::ScopeInfo& s) {
  return make(R_ScopeInfo, str_out(s.name), name_out(hs::to_string(s.status)), strings_out(s.replacements),
              name_out(hs::to_string(s.sensitivity)), str_out(s.tier), str_out(s.description));
}

PyObject* catalogue_tuple() {
  if (!g_catalogue) {
    const auto& cat = hs::scope_catalogue();
    py::object t = steal(PyTuple_New(static_cast<Py_ssize_t>(cat.size())));
    for (std::size_t i = 0; i < cat.size(); ++i) PyTuple_SET_ITEM(t.ptr(), static_cast<Py_ssize_t>(i), scope_info_out(cat[i]).release().ptr());
    g_catalogue = t.release().ptr();
  }
  return g_catalogue;
}

// The cached record of a catalogue entry (the catalogue is one static vector).
py::object scope_ref_out(const hs::ScopeInfo* s) {
  if (!s) return py::none();
  const auto& cat = hs::scope_catalogue();
  PyObject* t = catalogue_tuple();
  auto i = static_cast<Py_ssize_t>(s - cat.data());
  if (i < 0 || i >= PyTuple_GET_SIZE(t)) return scope_info_out(*s);
  return borrow(PyTuple_GET_ITEM(t, i));
}

py::object scope_config_out(const hs::ScopeConfig& c) {
  return make(R_ScopeConfig, strings_out(c.required), strings_out(c.conditional), strings_out(c.optional));
}

hs::ScopeConfig scope_config_in(PyObject* o, const char* what) {
  expect_record(R_ScopeConfig, o, what);
  return {strings_in(field(R_ScopeConfig, o, 0), "required"), strings_in(field(R_ScopeConfig, o, 1), "conditional"),
          strings_in(field(R_ScopeConfig, o, 2), "optional")};
}

// ===========================================================================
// app_config

py::object app_config_out(const hs::AppConfig& a, const hs::Diagnostics& ds, py::object file_name) {
  return make(R_AppConfig, name_out(hs::to_string(a.format)), str_out(a.uid), str_out(a.name), str_out(a.description),
              name_out(hs::to_string(a.distribution)), name_out(hs::to_string(a.auth_type)), strings_out(a.redirect_urls),
              scope_config_out(a.scopes),
              make(R_PermittedUrls, strings_out(a.permitted_urls.fetch), strings_out(a.permitted_urls.iframe), strings_out(a.permitted_urls.img)),
              make(R_SupportInfo, str_out(a.support.email), str_out(a.support.documentation_url), str_out(a.support.support_url),
                   str_out(a.support.phone)),
              diagnostics_out(ds), std::move(file_name));
}

hs::AppConfig app_config_in(PyObject* o) {
  expect_record(R_AppConfig, o, "config");
  hs::AppConfig a;
  a.format = enum_in(field(R_AppConfig, o, 0), {hs::ConfigFormat::hsmeta, hs::ConfigFormat::public_app}, "config.format");
  a.uid = str_in(field(R_AppConfig, o, 1), "config.uid");
  a.name = str_in(field(R_AppConfig, o, 2), "config.name");
  a.description = str_in(field(R_AppConfig, o, 3), "config.description");
  a.distribution = enum_in(field(R_AppConfig, o, 4),
                           {hs::Distribution::unspecified, hs::Distribution::marketplace, hs::Distribution::private_app}, "config.distribution");
  a.auth_type = enum_in(field(R_AppConfig, o, 5), {hs::AuthType::oauth, hs::AuthType::static_auth}, "config.auth_type");
  a.redirect_urls = strings_in(field(R_AppConfig, o, 6), "config.redirect_urls");
  a.scopes = scope_config_in(field(R_AppConfig, o, 7), "config.scopes");
  PyObject* p = field(R_AppConfig, o, 8);
  expect_record(R_PermittedUrls, p, "config.permitted_urls");
  a.permitted_urls = {strings_in(field(R_PermittedUrls, p, 0), "fetch"), strings_in(field(R_PermittedUrls, p, 1), "iframe"),
                      strings_in(field(R_PermittedUrls, p, 2), "img")};
  PyObject* s = field(R_AppConfig, o, 9);
  expect_record(R_SupportInfo, s, "config.support");
  a.support = {str_in(field(R_SupportInfo, s, 0), "email"), str_in(field(R_SupportInfo, s, 1), "documentation_url"),
               str_in(field(R_SupportInfo, s, 2), "support_url"), str_in(field(R_SupportInfo, s, 3), "phone")};
  return a;
}

// A LintReport: lint's view, which never raises for a bad config.
py::object lint_app_config(py::handle text, py::handle file_name) {
  Text t = text_or_bytes_in(text.ptr(), "text");
  std::string name = opt_str_in(file_name.ptr(), "file_name");
  auto r = nogil([&] { return hs::parse_app_config(t.view, name); });
  py::object diagnostics = diagnostics_out(r.diagnostics);
  py::object cfg = py::none(), format = py::none();
  if (r) {
    format = name_out(hs::to_string(r.value->format));
    cfg = app_config_out(*r.value, r.diagnostics, borrow(file_name.ptr()));
  }
  return make(R_LintReport, borrow(file_name.ptr()), bool_out(!hs::has_errors(r.diagnostics)), std::move(format), std::move(diagnostics),
              std::move(cfg));
}

py::object load_app_config(py::handle text, py::handle file_name) {
  Text t = text_or_bytes_in(text.ptr(), "text");
  std::string name = opt_str_in(file_name.ptr(), "file_name");
  auto r = nogil([&] { return hs::parse_app_config(t.view, name); });
  if (!r) raise_error(E_Config, r.diagnostics);
  return app_config_out(*r.value, r.diagnostics, borrow(file_name.ptr()));
}

// ===========================================================================
// redirect_uri

py::list validate_redirect_uri(py::handle uri, py::handle registered, py::handle where) {
  Text u = text_in(uri.ptr(), "uri");
  std::string w = given(where.ptr()) ? str_in(where.ptr(), "where") : std::string("redirect_uri");
  hs::Diagnostics ds = hs::validate_redirect_uri(u.view, w);
  if (given(registered.ptr())) {
    auto more = hs::check_redirect_registered(u.view, strings_in(registered.ptr(), "registered"), w);
    ds.insert(ds.end(), more.begin(), more.end());
  }
  return diagnostics_list(ds);
}

py::list check_redirect_registered(py::handle uri, py::handle registered, py::handle where) {
  Text u = text_in(uri.ptr(), "uri");
  std::string w = given(where.ptr()) ? str_in(where.ptr(), "where") : std::string("redirect_uri");
  return diagnostics_list(hs::check_redirect_registered(u.view, strings_in(registered.ptr(), "registered"), w));
}

// ===========================================================================
// Reused per-thread requests for the hot calls

// Into an existing string: no allocation when its capacity suffices.
void assign_str(std::string& out, PyObject* p, const char* what, bool optional) {
  if (optional && !given(p)) {
    out.clear();
    return;
  }
  out.assign(text_in(p, what).view);
}

// Like strings_in, into an existing vector whose strings keep their capacity.
void assign_strings(std::vector<std::string>& out, PyObject* p, const char* what) {
  if (p && (PyList_Check(p) || PyTuple_Check(p))) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(p);
    for (Py_ssize_t i = 0; i < n; ++i)
      if (!PyUnicode_Check(PySequence_Fast_GET_ITEM(p, i)))
        type_error(std::string(what) + "[" + std::to_string(i) + "] must be str, not " + type_name(PySequence_Fast_GET_ITEM(p, i)));
    out.resize(static_cast<std::size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) out[static_cast<std::size_t>(i)].assign(text_in(PySequence_Fast_GET_ITEM(p, i), what).view);
    return;
  }
  out = strings_in(p, what);
}

// After a call, drops what a huge input left behind, so a thread does not keep megabytes.
struct RequestScrubber {
  hs::InstallUrlRequest& rq;
  explicit RequestScrubber(hs::InstallUrlRequest& r) : rq(r) {}
  ~RequestScrubber() {
    std::size_t held = rq.client_id.capacity() + rq.redirect_uri.capacity() + rq.state.capacity() + rq.host.capacity();
    for (const auto& s : rq.scopes) held += s.capacity();
    for (const auto& s : rq.optional_scopes) held += s.capacity();
    if (held > 65536 || rq.scopes.size() + rq.optional_scopes.size() > 256) rq = hs::InstallUrlRequest{};
  }
};

// ===========================================================================
// Keyword parsing for the METH_FASTCALL functions

struct Signature {
  const char* function;
  std::vector<const char*> names;  // "!name": required
  std::size_t max_positional;
  std::vector<PyObject*> interned;

  Signature(const char* f, std::vector<const char*> n, std::size_t maxpos) : function(f), names(std::move(n)), max_positional(maxpos) {
    for (const char* s : names) interned.push_back(PyUnicode_InternFromString(s[0] == '!' ? s + 1 : s));
  }
  static const char* bare(const char* s) { return s[0] == '!' ? s + 1 : s; }

  // Fills out[i] with borrowed references; nullptr where not given.
  void parse(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, PyObject** out) const {
    std::size_t npos = static_cast<std::size_t>(nargs);
    if (npos > max_positional)
      type_error(std::string(function) + "() takes " + (max_positional ? std::to_string(max_positional) : std::string("no")) +
                 " positional argument" + (max_positional == 1 ? "" : "s") + " but " + std::to_string(npos) + " were given");
    for (std::size_t i = 0; i < npos; ++i) out[i] = args[i];
    if (kwnames) {
      Py_ssize_t nk = PyTuple_GET_SIZE(kwnames);
      for (Py_ssize_t k = 0; k < nk; ++k) {
        PyObject* key = PyTuple_GET_ITEM(kwnames, k);
        std::size_t i = 0;
        for (; i < interned.size(); ++i)
          if (interned[i] == key) break;
        if (i == interned.size())
          for (i = 0; i < interned.size(); ++i)
            if (PyUnicode_Compare(interned[i], key) == 0) break;
        if (i == interned.size()) {
          PyErr_Clear();
          type_error(std::string(function) + "() got an unexpected keyword argument " + repr_of(key));
        }
        if (out[i]) type_error(std::string(function) + "() got multiple values for argument '" + bare(names[i]) + "'");
        out[i] = args[nargs + k];
      }
    }
    for (std::size_t i = 0; i < names.size(); ++i)
      if (!out[i] && names[i][0] == '!')
        type_error(std::string(function) + "() missing required keyword argument: '" + bare(names[i]) + "'");
  }
};

template <class F>
PyObject* guarded(F&& f) noexcept {
  try {
    return f().release().ptr();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (const py::builtin_exception& e) {
    e.set_error();
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  return nullptr;
}

// ===========================================================================
// install_url

py::object built_url_out(const std::string& url, const hs::Diagnostics& ds) {
  if (!g_built_url) throw std::runtime_error("hsinstall._core: BuiltUrl is not registered; import hsinstall");
  py::object s = str_out(url);
  py::object u = steal(PyObject_CallOneArg(g_built_url, s.ptr()));
  if (!ds.empty()) {
    static PyObject* name = PyUnicode_InternFromString("diagnostics");
    // The class is frozen for Python code; the instance dict is written directly.
    if (PyObject_GenericSetAttr(u.ptr(), name, diagnostics_out(ds).ptr()) != 0) throw py::error_already_set();
  }
  return u;
}

PyObject* py_install_url(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  static const Signature sig("install_url",
                             {"!client_id", "redirect_uri", "scopes", "optional_scopes", "state", "host", "account_id", "config", "with_scopes"}, 0);
  return guarded([&]() -> py::object {
    PyObject* a[9] = {};
    sig.parse(args, nargs, kwnames, a);
    hs::Result<std::string> r;
    if (given(a[7])) {
      if (given(a[2]) || given(a[3]))
        type_error("install_url(): with config=, the scopes come from the config; pass the conditionally required scopes this URL asks for as with_scopes=[...]");
      hs::AppConfig app = app_config_in(a[7]);
      hs::AppInstallRequest rq;
      rq.client_id = str_in(a[0], "client_id");
      rq.redirect_uri = opt_str_in(a[1], "redirect_uri");
      rq.with_scopes = strings_in(a[8], "with_scopes");
      rq.state = opt_str_in(a[4], "state");
      rq.host = opt_str_in(a[5], "host");
      rq.account_id = account_in(a[6]);
      r = hs::build_install_url(app, rq);
    } else {
      if (given(a[8])) type_error("install_url(): with_scopes= picks conditionally required scopes from config=; without a config pass scopes=[...]");
      // One request per thread, reused: assigning into strings that already have the
      // capacity costs no allocation, which is most of this call's overhead otherwise.
      thread_local hs::InstallUrlRequest rq;
      RequestScrubber scrub(rq);
      assign_str(rq.client_id, a[0], "client_id", false);
      assign_str(rq.redirect_uri, a[1], "redirect_uri", true);
      assign_strings(rq.scopes, a[2], "scopes");
      assign_strings(rq.optional_scopes, a[3], "optional_scopes");
      assign_str(rq.state, a[4], "state", true);
      assign_str(rq.host, a[5], "host", true);
      rq.account_id = account_in(a[6]);
      std::size_t size = rq.client_id.size() + rq.redirect_uri.size() + rq.state.size();
      for (const auto& s : rq.scopes) size += s.size();
      if (size > kReleaseGilAbove)
        r = nogil([&] { return hs::build_install_url(rq); });
      else
        r = hs::build_install_url(rq);
    }
    if (!r) raise_error(E_InstallUrl, r.diagnostics);
    return built_url_out(*r.value, r.diagnostics);
  });
}

py::object inspected_out(const hs::InspectedUrl& r, py::object url, py::object config) {
  const hs::InstallUrl& u = r.url;
  return make(R_InspectedUrl, str_out(u.host), str_out(u.hublet), u.account_id.empty() ? py::none() : str_out(u.account_id),
              str_out(u.client_id), str_out(u.redirect_uri), strings_out(u.scopes), strings_out(u.optional_scopes),
              u.has_state ? str_out(u.state) : py::none(), pairs_out(u.extra_params), diagnostics_out(r.diagnostics), std::move(url),
              std::move(config));
}

hs::InstallUrl install_url_in(PyObject* o) {
  expect_record(R_InspectedUrl, o, "url");
  hs::InstallUrl u;
  u.host = str_in(field(R_InspectedUrl, o, 0), "host");
  u.hublet = str_in(field(R_InspectedUrl, o, 1), "hublet");
  u.account_id = opt_str_in(field(R_InspectedUrl, o, 2), "account_id");
  u.client_id = str_in(field(R_InspectedUrl, o, 3), "client_id");
  u.redirect_uri = str_in(field(R_InspectedUrl, o, 4), "redirect_uri");
  u.scopes = strings_in(field(R_InspectedUrl, o, 5), "scopes");
  u.optional_scopes = strings_in(field(R_InspectedUrl, o, 6), "optional_scopes");
  PyObject* state = field(R_InspectedUrl, o, 7);
  u.has_state = state != Py_None;
  u.state = opt_str_in(state, "state");
  PyObject* extra = field(R_InspectedUrl, o, 8);
  py::object seq = steal(PySequence_Fast(extra, "extra_params must be a sequence of (name, value) pairs"));
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq.ptr()); ++i) {
    PyObject* pair = PySequence_Fast_GET_ITEM(seq.ptr(), i);
    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) type_error("extra_params must be a sequence of (name, value) pairs");
    u.extra_params.emplace_back(str_in(PyTuple_GET_ITEM(pair, 0), "extra_params"), str_in(PyTuple_GET_ITEM(pair, 1), "extra_params"));
  }
  return u;
}

py::object inspect_url(py::handle url, py::handle config) {
  Text t = text_in(url.ptr(), "url");
  std::optional<hs::AppConfig> app;
  if (given(config.ptr())) app = app_config_in(config.ptr());
  auto r = nogil([&] { return hs::inspect_install_url(t.view, app ? &*app : nullptr); });
  return inspected_out(r, borrow(url.ptr()), borrow(given(config.ptr()) ? config.ptr() : Py_None));
}

py::object parse_install_url(py::handle url) {
  Text t = text_in(url.ptr(), "url");
  auto r = nogil([&] { return hs::inspect_install_url(t.view, nullptr); });
  if (hs::has_errors(r.diagnostics)) raise_error(E_InstallUrl, r.diagnostics);
  return inspected_out(r, borrow(url.ptr()), py::none());
}

py::list check_install_url(py::handle url, py::handle config) {
  hs::AppConfig app = app_config_in(config.ptr());
  if (PyUnicode_Check(url.ptr())) {
    Text t = text_in(url.ptr(), "url");
    auto parsed = nogil([&] { return hs::inspect_install_url(t.view, nullptr); });
    return diagnostics_list(hs::check_install_url(parsed.url, app));
  }
  return diagnostics_list(hs::check_install_url(install_url_in(url.ptr()), app));
}

py::object install_host(py::handle host) {
  std::string h = hs::install_host(text_in(host.ptr(), "host").view);
  return h.empty() ? py::none() : str_out(h);
}

// ===========================================================================
// callback

PyObject* py_parse_callback(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  static const Signature sig("parse_callback", {"!url", "!expected_state", "max_value_bytes", "extra_return_origins"}, 1);
  return guarded([&]() -> py::object {
    PyObject* a[4] = {};
    sig.parse(args, nargs, kwnames, a);
    Text url = text_in(a[0], "url");
    thread_local hs::CallbackOptions opt;  // reused: the expected state's buffer stays allocated
    opt.max_value_bytes = hs::CallbackOptions{}.max_value_bytes;
    opt.extra_return_origins.clear();
    opt.expected_state.clear();
    if (opt.expected_state.capacity() > 4096) opt.expected_state.shrink_to_fit();
    if (a[1] != Py_None) {
      Text s = text_in(a[1], "expected_state");
      if (s.view.empty())
        value_error("parse_callback(): expected_state is empty, so nothing would be verified; pass the state this session issued, or None to skip the check explicitly");
      opt.expected_state.assign(s.view);
    }
    if (given(a[2])) {
      std::int64_t m = int_in(a[2], "max_value_bytes");
      if (m < 0) value_error("max_value_bytes must not be negative");
      opt.max_value_bytes = static_cast<std::size_t>(m);
    }
    if (given(a[3])) opt.extra_return_origins = strings_in(a[3], "extra_return_origins");
    hs::Result<hs::Callback> r =
        url.view.size() > kReleaseGilAbove ? nogil([&] { return hs::parse_callback(url.view, opt); }) : hs::parse_callback(url.view, opt);
    if (!r) raise_error(E_Callback, r.diagnostics);
    const hs::Callback& c = *r.value;
    // A verified state is byte for byte the expected one: share that str instead of a copy.
    py::object state = !c.has_state ? py::none() : c.state_verified && a[1] != Py_None && PyUnicode_CheckExact(a[1]) ? borrow(a[1]) : str_out(c.state);
    return make(R_Callback, name_out(hs::to_string(c.kind)), str_out(c.code), std::move(state),
                bool_out(c.state_verified), str_out(c.return_url), pairs_out(c.extra_params), diagnostics_out(r.diagnostics));
  });
}

bool constant_time_equal(py::handle a, py::handle b) {
  Text x = text_or_bytes_in(a.ptr(), "a");
  Text y = text_or_bytes_in(b.ptr(), "b");
  return hs::constant_time_equal(x.view, y.view);
}

// ===========================================================================
// state

py::object state_token_out(const hs::StateToken& t) {
  return make(R_StateToken, bytes_out(t.nonce), opt_int_out(t.expires_at), bytes_out(t.mac), str_out(t.signed_part));
}

hs::StateToken state_token_in(PyObject* o) {
  hs::StateToken t;
  t.nonce = bytes_in(field(R_StateToken, o, 0), "nonce");
  PyObject* exp = field(R_StateToken, o, 1);
  if (exp != Py_None) t.expires_at = int_in(exp, "expires_at");
  t.mac = bytes_in(field(R_StateToken, o, 2), "mac");
  t.signed_part = str_in(field(R_StateToken, o, 3), "signed_part");
  return t;
}

py::object encode_state(py::handle random, py::handle expires_at) {
  auto bytes = bytes_in(random.ptr(), "random");
  std::optional<std::int64_t> exp;
  if (given(expires_at.ptr())) exp = int_in(expires_at.ptr(), "expires_at");
  auto r = hs::encode_state(bytes.data(), bytes.size(), exp);
  if (!r) raise_error(E_State, r.diagnostics);
  return str_out(*r.value);
}

py::object sign_state(py::handle state, py::handle mac) {
  Text s = text_in(state.ptr(), "state");
  auto m = bytes_in(mac.ptr(), "mac");
  auto r = hs::sign_state(s.view, m.data(), m.size());
  if (!r) raise_error(E_State, r.diagnostics);
  return str_out(*r.value);
}

py::object decode_state(py::handle state) {
  Text s = text_in(state.ptr(), "state");
  auto r = hs::decode_state(s.view);
  if (!r) raise_error(E_State, r.diagnostics);
  return state_token_out(*r.value);
}

py::list verify_state(py::handle token, py::handle now, py::handle expected_mac) {
  hs::StateToken t;
  if (PyUnicode_Check(token.ptr())) {
    auto r = hs::decode_state(text_in(token.ptr(), "state").view);
    if (!r) raise_error(E_State, r.diagnostics);
    t = std::move(*r.value);
  } else {
    expect_record(R_StateToken, token.ptr(), "state");
    t = state_token_in(token.ptr());
  }
  std::int64_t when = int_in(now.ptr(), "now");
  std::vector<std::uint8_t> mac;
  if (given(expected_mac.ptr())) mac = bytes_in(expected_mac.ptr(), "expected_mac");
  return diagnostics_list(hs::verify_state(t, when, mac.empty() ? nullptr : mac.data(), mac.size()));
}

// ===========================================================================
// token

hs::TokenApi api_in(PyObject* p) {
  if (!given(p)) return hs::TokenApi::v3;
  return enum_in(p, {hs::TokenApi::v3, hs::TokenApi::v2026_03, hs::TokenApi::v1}, "api");
}

std::string api_base_in(PyObject* p, const std::string& fallback) { return given(p) ? str_in(p, "api_base") : fallback; }

py::object http_request_out(const hs::Result<hs::HttpRequest>& r) {
  if (!r) raise_error(E_TokenRequest, r.diagnostics);
  const hs::HttpRequest& q = *r.value;
  return make(R_HttpRequest, str_out(q.method), str_out(q.url), pairs_out(q.headers), str_out(q.body), diagnostics_out(r.diagnostics));
}

py::object code_request(py::handle client_id, py::handle client_secret, py::handle redirect_uri, py::handle code, py::handle code_verifier,
                        py::handle api, py::handle api_base) {
  hs::CodeGrant g;
  g.client_id = str_in(client_id.ptr(), "client_id");
  g.client_secret = str_in(client_secret.ptr(), "client_secret");
  g.redirect_uri = str_in(redirect_uri.ptr(), "redirect_uri");
  g.code = str_in(code.ptr(), "code");
  g.code_verifier = opt_str_in(code_verifier.ptr(), "code_verifier");
  g.api = api_in(api.ptr());
  g.api_base = api_base_in(api_base.ptr(), g.api_base);
  return http_request_out(hs::build_code_request(g));
}

py::object refresh_request(py::handle client_id, py::handle client_secret, py::handle refresh_token, py::handle api, py::handle api_base) {
  hs::RefreshGrant g;
  g.client_id = str_in(client_id.ptr(), "client_id");
  g.client_secret = str_in(client_secret.ptr(), "client_secret");
  g.refresh_token = str_in(refresh_token.ptr(), "refresh_token");
  g.api = api_in(api.ptr());
  g.api_base = api_base_in(api_base.ptr(), g.api_base);
  return http_request_out(hs::build_refresh_request(g));
}

hs::TokenCall token_call_in(py::handle client_id, py::handle client_secret, py::handle token, py::handle token_type_hint, py::handle api,
                            py::handle api_base) {
  hs::TokenCall c;
  c.client_id = str_in(client_id.ptr(), "client_id");
  c.client_secret = str_in(client_secret.ptr(), "client_secret");
  c.token = str_in(token.ptr(), "token");
  c.token_type_hint = opt_str_in(token_type_hint.ptr(), "token_type_hint");
  c.api = api_in(api.ptr());
  c.api_base = api_base_in(api_base.ptr(), c.api_base);
  return c;
}

py::object token_error_out(const std::optional<hs::TokenError>& e) {
  if (!e) return py::none();
  return make(R_TokenError, str_out(e->code), bool_out(e->retryable), int_out(e->http_status), str_out(e->error), str_out(e->error_description),
              str_out(e->status), str_out(e->message), str_out(e->category), str_out(e->correlation_id));
}

int status_in(py::handle status) {
  std::int64_t s = int_in(status.ptr(), "status");
  if (s < 0 || s > 999) value_error("status must be an HTTP status code (0-999), not " + std::to_string(s));
  return static_cast<int>(s);
}

Text body_in(py::handle body) {
  if (body.is_none()) return {};
  return text_or_bytes_in(body.ptr(), "body");
}

py::object parse_token_response(py::handle status, py::handle body) {
  int s = status_in(status);
  Text b = body_in(body);
  auto r = nogil([&] { return hs::parse_token_response(s, b.view); });
  py::object tokens = py::none();
  if (r.tokens) {
    const hs::Tokens& t = *r.tokens;
    tokens = make(R_Tokens, str_out(t.access_token), str_out(t.refresh_token), int_out(t.expires_in), str_out(t.token_type),
                  str_out(t.token_use), str_out(t.id_token), opt_int_out(t.hub_id), opt_int_out(t.user_id),
                  t.has_scopes ? strings_out(t.scopes) : py::none());
  }
  return make(R_TokenResponse, std::move(tokens), token_error_out(r.error), diagnostics_out(r.diagnostics));
}

py::object parse_introspection_response(py::handle status, py::handle body) {
  int s = status_in(status);
  Text b = body_in(body);
  auto r = nogil([&] { return hs::parse_introspection_response(s, b.view); });
  py::object value = py::none();
  if (r.value) {
    const hs::Introspection& i = *r.value;
    value = make(R_Introspection, bool_out(i.active), opt_int_out(i.app_id), opt_int_out(i.hub_id), opt_int_out(i.user_id),
                 opt_int_out(i.expires_in), str_out(i.client_id), str_out(i.hub_domain), str_out(i.user), str_out(i.token_type),
                 str_out(i.token_use), strings_out(i.scopes));
  }
  return make(R_IntrospectionResponse, std::move(value), token_error_out(r.error), diagnostics_out(r.diagnostics));
}

py::object compare_granted_scopes(py::handle granted, py::handle required, py::handle conditional, py::handle optional,
                                  py::handle requested_conditional) {
  hs::ScopeConfig c{strings_in(required.ptr(), "required"), strings_in(conditional.ptr(), "conditional"), strings_in(optional.ptr(), "optional")};
  auto r = hs::compare_granted_scopes(strings_in(granted.ptr(), "granted"), c, strings_in(requested_conditional.ptr(), "requested_conditional"));
  return make(R_ScopeComparison, strings_out(r.missing_required), strings_out(r.missing_conditional), strings_out(r.granted_optional),
              strings_out(r.missing_optional), strings_out(r.unexpected), diagnostics_out(r.diagnostics));
}

// ===========================================================================
// Registration: the package hands over its classes once, at import

void register_types(py::dict classes) {
  for (int r = 0; r < R_Count; ++r) {
    const RecordSpec& spec = kRecords[r];
    PyObject* cls = PyDict_GetItemString(classes.ptr(), spec.name);
    if (!cls || !PyType_Check(cls)) throw py::value_error(std::string("_register: missing class ") + spec.name);
    auto* type = reinterpret_cast<PyTypeObject*>(cls);
    RecordType t;
    for (const char* f : spec.fields) {
      PyObject* d = PyDict_GetItemString(type->tp_dict, f);
      if (!d || !Py_IS_TYPE(d, &PyMemberDescr_Type))
        throw py::value_error(std::string("_register: ") + spec.name + "." + f + " is not a slot (use @dataclass(frozen=True, slots=True))");
      PyMemberDef* m = reinterpret_cast<PyMemberDescrObject*>(d)->d_member;
      if (m->type != T_OBJECT_EX || (m->flags & READONLY)) throw py::value_error(std::string("_register: ") + spec.name + "." + f + " is not an object slot");
      t.offsets.push_back(m->offset);
    }
    Py_INCREF(cls);  // kept for the process's life
    t.type = type;
    g_records[r] = std::move(t);
  }
  for (int e = 0; e < E_Count; ++e) {
    PyObject* cls = PyDict_GetItemString(classes.ptr(), kErrorNames[e]);
    if (!cls || !PyType_Check(cls) || !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(cls), reinterpret_cast<PyTypeObject*>(PyExc_ValueError)))
      throw py::value_error(std::string("_register: missing exception class ") + kErrorNames[e]);
    Py_INCREF(cls);
    g_errors[e] = cls;
  }
  PyObject* built = PyDict_GetItemString(classes.ptr(), "BuiltUrl");
  if (!built || !PyType_Check(built) || !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(built), &PyUnicode_Type))
    throw py::value_error("_register: missing BuiltUrl (a str subclass)");
  Py_INCREF(built);
  g_built_url = built;
}

PyMethodDef kFastFunctions[] = {
    {"install_url", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(py_install_url)), METH_FASTCALL | METH_KEYWORDS,
     "install_url($module, /, *, client_id, redirect_uri=None, scopes=None, optional_scopes=None, state=None, host=None, "
     "account_id=None, config=None, with_scopes=None)\n--\n\n"
     "Builds a HubSpot install (OAuth authorize) URL, from explicit fields or from an app config\n"
     "(config= plus with_scopes= for the conditionally required scopes this URL asks for).\n"
     "Returns a BuiltUrl (a str; .diagnostics holds warnings); raises InstallUrlError on errors."},
    {"parse_callback", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(py_parse_callback)), METH_FASTCALL | METH_KEYWORDS,
     "parse_callback($module, url, /, *, expected_state, max_value_bytes=2048, extra_return_origins=None)\n--\n\n"
     "Parses HubSpot's redirect back (a full URL or its query) and verifies state in constant time.\n"
     "expected_state is required: the state this session issued, or None to skip the check explicitly.\n"
     "extra_return_origins: exact origins (a local HubSpot sandbox's) also honoured as a marketplace returnUrl.\n"
     "Returns a Callback; raises CallbackError (with .diagnostics) on any error, HubSpot's own error= included."},
    {nullptr, nullptr, 0, nullptr}};

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "hsinstall's C++ core, bound with pybind11. Use the hsinstall package, not this module.";
  m.attr("__version__") = HSINSTALL_VERSION;
  if (PyModule_AddFunctions(m.ptr(), kFastFunctions) != 0) throw py::error_already_set();

  m.def("_register", &register_types, py::arg("classes"));
  m.attr("MIN_STATE_BYTES") = hs::kMinStateBytes;
  m.attr("MAX_STATE_BYTES") = hs::kMaxStateBytes;
  m.attr("MAX_CONFIG_BYTES") = hs::kMaxConfigBytes;
  m.attr("MAX_CALLBACK_BYTES") = hs::kMaxCallbackBytes;
  m.attr("INSTALL_URL_WARN_LENGTH") = hs::kInstallUrlWarnLength;

  // scopes
  m.def("catalogue", [] { return borrow(catalogue_tuple()); }, "Every scope in the catalogue, sorted by name (a tuple of ScopeInfo).");
  m.def(
      "find_scope", [](py::handle name) { return scope_ref_out(hs::find_scope(text_in(name.ptr(), "name").view)); }, py::arg("name"),
      "Exact, case-sensitive lookup: a ScopeInfo, or None.");
  m.def(
      "suggest_scopes",
      [](py::handle name, py::handle max) {
        std::int64_t n = given(max.ptr()) ? int_in(max.ptr(), "max") : 3;
        if (n < 0) value_error("max must not be negative");
        auto v = hs::suggest_scopes(text_in(name.ptr(), "name").view, static_cast<std::size_t>(n));
        py::list l;
        for (const auto& s : v) l.append(str_out(s));
        return l;
      },
      py::arg("name"), py::arg("max") = py::none(), "Close requestable names for a misspelt one, best first.");
  m.def(
      "search_scopes",
      [](py::handle text) {
        Text t = text_in(text.ptr(), "text");
        auto hits = nogil([&] { return hs::search_scopes(t.view); });
        py::list l;
        for (const auto* s : hits) l.append(scope_ref_out(s));
        return l;
      },
      py::arg("text"), "Case-insensitive search over names and descriptions; every word must match.");
  m.def(
      "canonical_scope", [](py::handle name) { return str_out(hs::canonical_scope(text_in(name.ptr(), "name").view)); }, py::arg("name"),
      "The name an app should use: a variant's current spelling, otherwise the name itself.");
  m.def(
      "validate_scope_config",
      [](py::handle required, py::handle conditional, py::handle optional, bool marketplace, py::handle pointer) {
        hs::ScopeConfig c{strings_in(required.ptr(), "required"), strings_in(conditional.ptr(), "conditional"),
                          strings_in(optional.ptr(), "optional")};
        hs::ScopeCheckOptions o;
        o.marketplace = marketplace;
        o.pointer = opt_str_in(pointer.ptr(), "pointer");
        return diagnostics_list(hs::validate_scope_config(c, o));
      },
      py::kw_only(), py::arg("required") = py::none(), py::arg("conditional") = py::none(), py::arg("optional") = py::none(),
      py::arg("marketplace") = false, py::arg("pointer") = py::none(), "Validates a scope configuration; a list of Diagnostic.");
  m.def(
      "check_scope_name",
      [](py::handle name, py::handle where, bool marketplace) {
        hs::Diagnostics ds;
        hs::check_scope_name(text_in(name.ptr(), "name").view, given(where.ptr()) ? str_in(where.ptr(), "where") : std::string("scope"),
                             marketplace, ds);
        return diagnostics_list(ds);
      },
      py::arg("name"), py::kw_only(), py::arg("where") = py::none(), py::arg("marketplace") = false,
      "Checks one scope name against the catalogue; a list of Diagnostic.");

  // app_config
  m.def("lint_app_config", &lint_app_config, py::arg("text"), py::arg("file_name") = py::none(),
        "Parses and checks an app config: a LintReport. Never raises for a bad config.");
  m.def("load_app_config", &load_app_config, py::arg("text"), py::arg("file_name") = py::none(),
        "Parses and checks an app config: an AppConfig, or ConfigError.");

  // redirect_uri
  m.def("validate_redirect_uri", &validate_redirect_uri, py::arg("uri"), py::kw_only(), py::arg("registered") = py::none(),
        py::arg("where") = py::none(),
        "Checks a redirect URI (and, given registered=, that it is one of them); a list of Diagnostic.");
  m.def("check_redirect_registered", &check_redirect_registered, py::arg("uri"), py::arg("registered"), py::kw_only(),
        py::arg("where") = py::none(), "Exact match against the registered redirect URLs; a list of Diagnostic.");

  // install_url (install_url itself is a METH_FASTCALL function, above)
  m.def("inspect_url", &inspect_url, py::arg("url"), py::arg("config") = py::none(),
        "Parses any install URL, best effort, and checks it against config when given: an InspectedUrl (never raises).");
  m.def("parse_install_url", &parse_install_url, py::arg("url"), "Parses an install URL: an InspectedUrl, or InstallUrlError.");
  m.def("check_install_url", &check_install_url, py::arg("url"), py::arg("config"),
        "Does a URL (str or InspectedUrl) fit the app? A list of Diagnostic.");
  m.def("install_host", &install_host, py::arg("host"), "'eu1' → 'app-eu1.hubspot.com'; None when not a HubSpot UI host.");

  // callback (parse_callback is a METH_FASTCALL function, above)
  m.def("constant_time_equal", &constant_time_equal, py::arg("a"), py::arg("b"),
        "Compares in time that depends only on the lengths (str or bytes).");

  // state
  m.def("encode_state", &encode_state, py::arg("random"), py::kw_only(), py::arg("expires_at") = py::none(),
        "Encodes 16-64 random bytes (and an expiry, Unix seconds) as a URL-safe state.");
  m.def("sign_state", &sign_state, py::arg("state"), py::arg("mac"), "Appends a host-computed MAC to a state with an expiry.");
  m.def("decode_state", &decode_state, py::arg("state"), "Decodes a state: a StateToken, or StateError.");
  m.def("verify_state", &verify_state, py::arg("state"), py::kw_only(), py::arg("now"), py::arg("expected_mac") = py::none(),
        "Checks expiry against now and, given expected_mac, the MAC in constant time; a list of Diagnostic.");

  // token
  m.def("code_request", &code_request, py::kw_only(), py::arg("client_id"), py::arg("client_secret"), py::arg("redirect_uri"), py::arg("code"),
        py::arg("code_verifier") = py::none(), py::arg("api") = py::none(), py::arg("api_base") = py::none(),
        "The token-endpoint request for the authorization-code grant: an HttpRequest, or TokenRequestError.");
  m.def("refresh_request", &refresh_request, py::kw_only(), py::arg("client_id"), py::arg("client_secret"), py::arg("refresh_token"),
        py::arg("api") = py::none(), py::arg("api_base") = py::none(),
        "The token-endpoint request for the refresh-token grant: an HttpRequest, or TokenRequestError.");
  m.def(
      "introspection_request",
      [](py::handle id, py::handle secret, py::handle token, py::handle hint, py::handle api, py::handle base) {
        return http_request_out(hs::build_introspection_request(token_call_in(id, secret, token, hint, api, base)));
      },
      py::kw_only(), py::arg("client_id"), py::arg("client_secret"), py::arg("token"), py::arg("token_type_hint") = py::none(),
      py::arg("api") = py::none(), py::arg("api_base") = py::none(), "The token-introspection request: an HttpRequest, or TokenRequestError.");
  m.def(
      "revoke_request",
      [](py::handle id, py::handle secret, py::handle token, py::handle hint, py::handle api, py::handle base) {
        return http_request_out(hs::build_revoke_request(token_call_in(id, secret, token, hint, api, base)));
      },
      py::kw_only(), py::arg("client_id"), py::arg("client_secret"), py::arg("token"), py::arg("token_type_hint") = py::none(),
      py::arg("api") = py::none(), py::arg("api_base") = py::none(), "The token-revocation request: an HttpRequest, or TokenRequestError.");
  m.def("parse_token_response", &parse_token_response, py::arg("status"), py::arg("body"),
        "Tokens, or a typed HubSpot error with retryable made explicit: a TokenResponse (never raises).");
  m.def("parse_introspection_response", &parse_introspection_response, py::arg("status"), py::arg("body"),
        "The token-introspection response (v3 or v1 shape): an IntrospectionResponse (never raises).");
  m.def("compare_granted_scopes", &compare_granted_scopes, py::arg("granted"), py::kw_only(), py::arg("required") = py::none(),
        py::arg("conditional") = py::none(), py::arg("optional") = py::none(), py::arg("requested_conditional") = py::none(),
        "Granted scopes against the configured ones: a ScopeComparison.");
}
