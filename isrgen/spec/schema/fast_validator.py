# Generated from isrgen/spec/schema/spec.schema.json by fastjsonschema; do not edit.
# Regenerate with: python3 scripts/regen_fast_validator.py
# ruff: noqa

VERSION = "2.22.3"
from decimal import Decimal
import re


class JsonSchemaValueException(ValueError):
    """The data departs from the schema."""


class JsonSchemaValuesException(ValueError):
    """Several departures (only raised without fast_fail, which isrgen does not use)."""


REGEX_PATTERNS = {
    '^[A-Za-z_][A-Za-z0-9_]*$': re.compile('^[A-Za-z_][A-Za-z0-9_]*\\Z'),
    '^\\.?[A-Za-z_][A-Za-z0-9_.]*$': re.compile('^\\.?[A-Za-z_][A-Za-z0-9_.]*\\Z'),
    '^[A-Za-z0-9_.+-]+$': re.compile('^[A-Za-z0-9_.+-]+\\Z'),
    '^[a-z][a-z0-9_-]*$': re.compile('^[a-z][a-z0-9_-]*\\Z')
}

NoneType = type(None)

def validate_https___isrgen_invalid_schema_spec_1_json(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['isrgen', 'arch', 'handler', 'vectors']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain ")
        data_keys = set(data.keys())
        if "$schema" in data_keys:
            data_keys.remove("$schema")
            data__schema = data["$schema"]
            if not isinstance(data__schema, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".$schema must be string")
        if "isrgen" in data_keys:
            data_keys.remove("isrgen")
            data__isrgen = data["isrgen"]
            if not isinstance(data__isrgen, (int)) and not (isinstance(data__isrgen, float) and data__isrgen.is_integer()) or isinstance(data__isrgen, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".isrgen must be integer")
            if not (isinstance(data__isrgen, (int, float)) and not isinstance(data__isrgen, bool) and data__isrgen == 1):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".isrgen must be one of [1]")
        if "arch" in data_keys:
            data_keys.remove("arch")
            data__arch = data["arch"]
            if not (isinstance(data__arch, str) and data__arch == 'x86_64' or isinstance(data__arch, str) and data__arch == 'i386'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".arch must be one of ['x86_64', 'i386']")
        if "symbols" in data_keys:
            data_keys.remove("symbols")
            data__symbols = data["symbols"]
            if not isinstance(data__symbols, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols must be object")
            data__symbols_is_dict = isinstance(data__symbols, dict)
            if data__symbols_is_dict:
                data__symbols_keys = set(data__symbols.keys())
                if "prefix" in data__symbols_keys:
                    data__symbols_keys.remove("prefix")
                    data__symbols__prefix = data__symbols["prefix"]
                    if not isinstance(data__symbols__prefix, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.prefix must be string")
                    if isinstance(data__symbols__prefix, str):
                        if not REGEX_PATTERNS['^[A-Za-z_][A-Za-z0-9_]*$'].search(data__symbols__prefix):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.prefix must match pattern ^[A-Za-z_][A-Za-z0-9_]*$")
                if "stub" in data__symbols_keys:
                    data__symbols_keys.remove("stub")
                    data__symbols__stub = data__symbols["stub"]
                    if not isinstance(data__symbols__stub, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.stub must be string")
                    if isinstance(data__symbols__stub, str):
                        data__symbols__stub_len = len(data__symbols__stub)
                        if data__symbols__stub_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.stub must be longer than or equal to 1 characters")
                if "table" in data__symbols_keys:
                    data__symbols_keys.remove("table")
                    data__symbols__table = data__symbols["table"]
                    if not isinstance(data__symbols__table, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.table must be string")
                    if isinstance(data__symbols__table, str):
                        data__symbols__table_len = len(data__symbols__table)
                        if data__symbols__table_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.table must be longer than or equal to 1 characters")
                if "entry" in data__symbols_keys:
                    data__symbols_keys.remove("entry")
                    data__symbols__entry = data__symbols["entry"]
                    if not isinstance(data__symbols__entry, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.entry must be string")
                    if isinstance(data__symbols__entry, str):
                        data__symbols__entry_len = len(data__symbols__entry)
                        if data__symbols__entry_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.entry must be longer than or equal to 1 characters")
                if "gates" in data__symbols_keys:
                    data__symbols_keys.remove("gates")
                    data__symbols__gates = data__symbols["gates"]
                    if not isinstance(data__symbols__gates, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.gates must be string")
                    if isinstance(data__symbols__gates, str):
                        data__symbols__gates_len = len(data__symbols__gates)
                        if data__symbols__gates_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.gates must be longer than or equal to 1 characters")
                if "exit" in data__symbols_keys:
                    data__symbols_keys.remove("exit")
                    data__symbols__exit = data__symbols["exit"]
                    if not isinstance(data__symbols__exit, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.exit must be string")
                    if isinstance(data__symbols__exit, str):
                        data__symbols__exit_len = len(data__symbols__exit)
                        if data__symbols__exit_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.exit must be longer than or equal to 1 characters")
                if "visibility" in data__symbols_keys:
                    data__symbols_keys.remove("visibility")
                    data__symbols__visibility = data__symbols["visibility"]
                    if not isinstance(data__symbols__visibility, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.visibility must be object")
                    data__symbols__visibility_is_dict = isinstance(data__symbols__visibility, dict)
                    if data__symbols__visibility_is_dict:
                        data__symbols__visibility_keys = set(data__symbols__visibility.keys())
                        if "stubs" in data__symbols__visibility_keys:
                            data__symbols__visibility_keys.remove("stubs")
                            data__symbols__visibility__stubs = data__symbols__visibility["stubs"]
                            if not (isinstance(data__symbols__visibility__stubs, str) and data__symbols__visibility__stubs == 'global' or isinstance(data__symbols__visibility__stubs, str) and data__symbols__visibility__stubs == 'local'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.visibility.stubs must be one of ['global', 'local']")
                        if "table" in data__symbols__visibility_keys:
                            data__symbols__visibility_keys.remove("table")
                            data__symbols__visibility__table = data__symbols__visibility["table"]
                            if not (isinstance(data__symbols__visibility__table, str) and data__symbols__visibility__table == 'global' or isinstance(data__symbols__visibility__table, str) and data__symbols__visibility__table == 'local'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.visibility.table must be one of ['global', 'local']")
                        if "entry" in data__symbols__visibility_keys:
                            data__symbols__visibility_keys.remove("entry")
                            data__symbols__visibility__entry = data__symbols__visibility["entry"]
                            if not (isinstance(data__symbols__visibility__entry, str) and data__symbols__visibility__entry == 'global' or isinstance(data__symbols__visibility__entry, str) and data__symbols__visibility__entry == 'local'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.visibility.entry must be one of ['global', 'local']")
                        if "exit" in data__symbols__visibility_keys:
                            data__symbols__visibility_keys.remove("exit")
                            data__symbols__visibility__exit = data__symbols__visibility["exit"]
                            if not (isinstance(data__symbols__visibility__exit, str) and data__symbols__visibility__exit == 'global' or isinstance(data__symbols__visibility__exit, str) and data__symbols__visibility__exit == 'local'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.visibility.exit must be one of ['global', 'local']")
                        if data__symbols__visibility_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols.visibility must not contain "+str(data__symbols__visibility_keys)+" properties")
                if data__symbols_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".symbols must not contain "+str(data__symbols_keys)+" properties")
        if "sections" in data_keys:
            data_keys.remove("sections")
            data__sections = data["sections"]
            if not isinstance(data__sections, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".sections must be object")
            data__sections_is_dict = isinstance(data__sections, dict)
            if data__sections_is_dict:
                data__sections_keys = set(data__sections.keys())
                if "code" in data__sections_keys:
                    data__sections_keys.remove("code")
                    data__sections__code = data__sections["code"]
                    if not isinstance(data__sections__code, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".sections.code must be string")
                    if isinstance(data__sections__code, str):
                        if not REGEX_PATTERNS['^\\.?[A-Za-z_][A-Za-z0-9_.]*$'].search(data__sections__code):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".sections.code must match pattern ^\\.?[A-Za-z_][A-Za-z0-9_.]*$")
                if "table" in data__sections_keys:
                    data__sections_keys.remove("table")
                    data__sections__table = data__sections["table"]
                    if not isinstance(data__sections__table, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".sections.table must be string")
                    if isinstance(data__sections__table, str):
                        if not REGEX_PATTERNS['^\\.?[A-Za-z_][A-Za-z0-9_.]*$'].search(data__sections__table):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".sections.table must match pattern ^\\.?[A-Za-z_][A-Za-z0-9_.]*$")
                if "code_align" in data__sections_keys:
                    data__sections_keys.remove("code_align")
                    data__sections__codealign = data__sections["code_align"]
                    if not isinstance(data__sections__codealign, (int)) and not (isinstance(data__sections__codealign, float) and data__sections__codealign.is_integer()) or isinstance(data__sections__codealign, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".sections.code_align must be integer")
                    if isinstance(data__sections__codealign, (int, float, Decimal)) and not isinstance(data__sections__codealign, bool):
                        if data__sections__codealign < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".sections.code_align must be bigger than or equal to 1")
                        if data__sections__codealign > 4096:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".sections.code_align must be smaller than or equal to 4096")
                if "stub_align" in data__sections_keys:
                    data__sections_keys.remove("stub_align")
                    data__sections__stubalign = data__sections["stub_align"]
                    if not isinstance(data__sections__stubalign, (int)) and not (isinstance(data__sections__stubalign, float) and data__sections__stubalign.is_integer()) or isinstance(data__sections__stubalign, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".sections.stub_align must be integer")
                    if isinstance(data__sections__stubalign, (int, float, Decimal)) and not isinstance(data__sections__stubalign, bool):
                        if data__sections__stubalign < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".sections.stub_align must be bigger than or equal to 1")
                        if data__sections__stubalign > 4096:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".sections.stub_align must be smaller than or equal to 4096")
                if data__sections_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".sections must not contain "+str(data__sections_keys)+" properties")
        if "handler" in data_keys:
            data_keys.remove("handler")
            data__handler = data["handler"]
            if not isinstance(data__handler, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".handler must be object")
            data__handler_is_dict = isinstance(data__handler, dict)
            if data__handler_is_dict:
                data__handler__missing_keys = set(['symbol']) - data__handler.keys()
                if data__handler__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".handler must contain ")
                data__handler_keys = set(data__handler.keys())
                if "symbol" in data__handler_keys:
                    data__handler_keys.remove("symbol")
                    data__handler__symbol = data__handler["symbol"]
                    if not isinstance(data__handler__symbol, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".handler.symbol must be string")
                if "convention" in data__handler_keys:
                    data__handler_keys.remove("convention")
                    data__handler__convention = data__handler["convention"]
                    if not (isinstance(data__handler__convention, str) and data__handler__convention == 'sysv' or isinstance(data__handler__convention, str) and data__handler__convention == 'cdecl'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".handler.convention must be one of ['sysv', 'cdecl']")
                if "returns" in data__handler_keys:
                    data__handler_keys.remove("returns")
                    data__handler__returns = data__handler["returns"]
                    if not (isinstance(data__handler__returns, str) and data__handler__returns == 'void' or isinstance(data__handler__returns, str) and data__handler__returns == 'frame' or isinstance(data__handler__returns, str) and data__handler__returns == 'noreturn'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".handler.returns must be one of ['void', 'frame', 'noreturn']")
                if "align_stack" in data__handler_keys:
                    data__handler_keys.remove("align_stack")
                    data__handler__alignstack = data__handler["align_stack"]
                    if not isinstance(data__handler__alignstack, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".handler.align_stack must be boolean")
                if "frame_arg" in data__handler_keys:
                    data__handler_keys.remove("frame_arg")
                    data__handler__framearg = data__handler["frame_arg"]
                    if not (isinstance(data__handler__framearg, str) and data__handler__framearg == 'pointer' or isinstance(data__handler__framearg, str) and data__handler__framearg == 'value'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".handler.frame_arg must be one of ['pointer', 'value']")
                if "args" in data__handler_keys:
                    data__handler_keys.remove("args")
                    data__handler__args = data__handler["args"]
                    if not isinstance(data__handler__args, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".handler.args must be array")
                    data__handler__args_is_list = isinstance(data__handler__args, (list, tuple))
                    if data__handler__args_is_list:
                        data__handler__args_len = len(data__handler__args)
                        if data__handler__args_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".handler.args must contain at least 1 items")
                        if data__handler__args_len > 3:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".handler.args must contain less than or equal to 3 items")
                        for data__handler__args_x, data__handler__args_item in enumerate(data__handler__args):
                            if not (isinstance(data__handler__args_item, str) and data__handler__args_item == 'frame' or isinstance(data__handler__args_item, str) and data__handler__args_item == 'vector' or isinstance(data__handler__args_item, str) and data__handler__args_item == 'error_code'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".handler.args[{data__handler__args_x}]".format(**locals()) + " must be one of ['frame', 'vector', 'error_code']")
                if data__handler_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".handler must not contain "+str(data__handler_keys)+" properties")
        if "frame" in data_keys:
            data_keys.remove("frame")
            data__frame = data["frame"]
            if not isinstance(data__frame, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame must be object")
            data__frame_is_dict = isinstance(data__frame, dict)
            if data__frame_is_dict:
                data__frame_keys = set(data__frame.keys())
                if "struct" in data__frame_keys:
                    data__frame_keys.remove("struct")
                    data__frame__struct = data__frame["struct"]
                    if not isinstance(data__frame__struct, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.struct must be string")
                if "layout" in data__frame_keys:
                    data__frame_keys.remove("layout")
                    data__frame__layout = data__frame["layout"]
                    if not isinstance(data__frame__layout, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.layout must be array")
                    data__frame__layout_is_list = isinstance(data__frame__layout, (list, tuple))
                    if data__frame__layout_is_list:
                        data__frame__layout_len = len(data__frame__layout)
                        if data__frame__layout_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.layout must contain at least 1 items")
                        for data__frame__layout_x, data__frame__layout_item in enumerate(data__frame__layout):
                            try:
                                if not isinstance(data__frame__layout_item, (str)):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.layout[{data__frame__layout_x}]".format(**locals()) + " must be string")
                            except (JsonSchemaValueException, JsonSchemaValuesException):
                                if not isinstance(data__frame__layout_item, (dict)):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.layout[{data__frame__layout_x}]".format(**locals()) + " must be object")
                                data__frame__layout_item_is_dict = isinstance(data__frame__layout_item, dict)
                                if data__frame__layout_item_is_dict:
                                    data__frame__layout_item_keys = set(data__frame__layout_item.keys())
                                    if "rax" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("rax")
                                        data__frame__layout_item__rax = data__frame__layout_item["rax"]
                                    if "rbx" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("rbx")
                                        data__frame__layout_item__rbx = data__frame__layout_item["rbx"]
                                    if "rcx" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("rcx")
                                        data__frame__layout_item__rcx = data__frame__layout_item["rcx"]
                                    if "rdx" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("rdx")
                                        data__frame__layout_item__rdx = data__frame__layout_item["rdx"]
                                    if "rsi" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("rsi")
                                        data__frame__layout_item__rsi = data__frame__layout_item["rsi"]
                                    if "rdi" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("rdi")
                                        data__frame__layout_item__rdi = data__frame__layout_item["rdi"]
                                    if "rbp" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("rbp")
                                        data__frame__layout_item__rbp = data__frame__layout_item["rbp"]
                                    if "r8" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("r8")
                                        data__frame__layout_item__r8 = data__frame__layout_item["r8"]
                                    if "r9" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("r9")
                                        data__frame__layout_item__r9 = data__frame__layout_item["r9"]
                                    if "r10" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("r10")
                                        data__frame__layout_item__r10 = data__frame__layout_item["r10"]
                                    if "r11" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("r11")
                                        data__frame__layout_item__r11 = data__frame__layout_item["r11"]
                                    if "r12" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("r12")
                                        data__frame__layout_item__r12 = data__frame__layout_item["r12"]
                                    if "r13" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("r13")
                                        data__frame__layout_item__r13 = data__frame__layout_item["r13"]
                                    if "r14" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("r14")
                                        data__frame__layout_item__r14 = data__frame__layout_item["r14"]
                                    if "r15" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("r15")
                                        data__frame__layout_item__r15 = data__frame__layout_item["r15"]
                                    if "eax" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("eax")
                                        data__frame__layout_item__eax = data__frame__layout_item["eax"]
                                    if "ebx" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("ebx")
                                        data__frame__layout_item__ebx = data__frame__layout_item["ebx"]
                                    if "ecx" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("ecx")
                                        data__frame__layout_item__ecx = data__frame__layout_item["ecx"]
                                    if "edx" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("edx")
                                        data__frame__layout_item__edx = data__frame__layout_item["edx"]
                                    if "esi" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("esi")
                                        data__frame__layout_item__esi = data__frame__layout_item["esi"]
                                    if "edi" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("edi")
                                        data__frame__layout_item__edi = data__frame__layout_item["edi"]
                                    if "ebp" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("ebp")
                                        data__frame__layout_item__ebp = data__frame__layout_item["ebp"]
                                    if "ds" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("ds")
                                        data__frame__layout_item__ds = data__frame__layout_item["ds"]
                                    if "es" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("es")
                                        data__frame__layout_item__es = data__frame__layout_item["es"]
                                    if "fs" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("fs")
                                        data__frame__layout_item__fs = data__frame__layout_item["fs"]
                                    if "gs" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("gs")
                                        data__frame__layout_item__gs = data__frame__layout_item["gs"]
                                    if "pushal" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("pushal")
                                        data__frame__layout_item__pushal = data__frame__layout_item["pushal"]
                                    if "pad" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("pad")
                                        data__frame__layout_item__pad = data__frame__layout_item["pad"]
                                    if "simd_area" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("simd_area")
                                        data__frame__layout_item__simdarea = data__frame__layout_item["simd_area"]
                                    if "vector" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("vector")
                                        data__frame__layout_item__vector = data__frame__layout_item["vector"]
                                    if "error_code" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("error_code")
                                        data__frame__layout_item__errorcode = data__frame__layout_item["error_code"]
                                    if "frame_pointer" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("frame_pointer")
                                        data__frame__layout_item__framepointer = data__frame__layout_item["frame_pointer"]
                                    if "simd_state" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("simd_state")
                                        data__frame__layout_item__simdstate = data__frame__layout_item["simd_state"]
                                    if "frame_shift" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("frame_shift")
                                        data__frame__layout_item__frameshift = data__frame__layout_item["frame_shift"]
                                    if "fs_base" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("fs_base")
                                        data__frame__layout_item__fsbase = data__frame__layout_item["fs_base"]
                                    if "gs_base" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("gs_base")
                                        data__frame__layout_item__gsbase = data__frame__layout_item["gs_base"]
                                    if "rip" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("rip")
                                        data__frame__layout_item__rip = data__frame__layout_item["rip"]
                                    if "cs" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("cs")
                                        data__frame__layout_item__cs = data__frame__layout_item["cs"]
                                    if "rflags" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("rflags")
                                        data__frame__layout_item__rflags = data__frame__layout_item["rflags"]
                                    if "rsp" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("rsp")
                                        data__frame__layout_item__rsp = data__frame__layout_item["rsp"]
                                    if "ss" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("ss")
                                        data__frame__layout_item__ss = data__frame__layout_item["ss"]
                                    if "eip" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("eip")
                                        data__frame__layout_item__eip = data__frame__layout_item["eip"]
                                    if "eflags" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("eflags")
                                        data__frame__layout_item__eflags = data__frame__layout_item["eflags"]
                                    if "esp" in data__frame__layout_item_keys:
                                        data__frame__layout_item_keys.remove("esp")
                                        data__frame__layout_item__esp = data__frame__layout_item["esp"]
                                    if data__frame__layout_item_keys:
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.layout[{data__frame__layout_x}]".format(**locals()) + " must not contain "+str(data__frame__layout_item_keys)+" properties")
                            else:
                                if not (isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'rax' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'rbx' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'rcx' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'rdx' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'rsi' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'rdi' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'rbp' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'r8' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'r9' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'r10' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'r11' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'r12' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'r13' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'r14' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'r15' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'eax' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'ebx' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'ecx' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'edx' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'esi' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'edi' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'ebp' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'ds' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'es' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'fs' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'gs' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'pushal' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'pad' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'simd_area' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'vector' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'error_code' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'frame_pointer' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'frame_shift' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'fs_base' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'gs_base' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'rip' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'cs' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'rflags' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'rsp' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'ss' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'eip' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'eflags' or isinstance(data__frame__layout_item, str) and data__frame__layout_item == 'esp'):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.layout[{data__frame__layout_x}]".format(**locals()) + " must be one of ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'ds', 'es', 'fs', 'gs', 'pushal', 'pad', 'simd_area', 'vector', 'error_code', 'frame_pointer', 'frame_shift', 'fs_base', 'gs_base', 'rip', 'cs', 'rflags', 'rsp', 'ss', 'eip', 'eflags', 'esp']")
                if "synthetic_error_code" in data__frame_keys:
                    data__frame_keys.remove("synthetic_error_code")
                    data__frame__syntheticerrorcode = data__frame["synthetic_error_code"]
                    if not isinstance(data__frame__syntheticerrorcode, (int)) and not (isinstance(data__frame__syntheticerrorcode, float) and data__frame__syntheticerrorcode.is_integer()) or isinstance(data__frame__syntheticerrorcode, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.synthetic_error_code must be integer")
                    if isinstance(data__frame__syntheticerrorcode, (int, float, Decimal)) and not isinstance(data__frame__syntheticerrorcode, bool):
                        if data__frame__syntheticerrorcode < -2147483648:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.synthetic_error_code must be bigger than or equal to -2147483648")
                        if data__frame__syntheticerrorcode > 2147483647:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.synthetic_error_code must be smaller than or equal to 2147483647")
                if "cpu_fields" in data__frame_keys:
                    data__frame_keys.remove("cpu_fields")
                    data__frame__cpufields = data__frame["cpu_fields"]
                    if not isinstance(data__frame__cpufields, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.cpu_fields must be object")
                    data__frame__cpufields_is_dict = isinstance(data__frame__cpufields, dict)
                    if data__frame__cpufields_is_dict:
                        data__frame__cpufields_keys = set(data__frame__cpufields.keys())
                        for data__frame__cpufields_key in data__frame__cpufields_keys:
                            if data__frame__cpufields_key not in []:
                                data__frame__cpufields_value = data__frame__cpufields.get(data__frame__cpufields_key)
                                if not isinstance(data__frame__cpufields_value, (str, dict)):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.cpu_fields.{data__frame__cpufields_key}".format(**locals()) + " must be string or object")
                if "vector_in_error_slot" in data__frame_keys:
                    data__frame_keys.remove("vector_in_error_slot")
                    data__frame__vectorinerrorslot = data__frame["vector_in_error_slot"]
                    if not isinstance(data__frame__vectorinerrorslot, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.vector_in_error_slot must be array")
                    data__frame__vectorinerrorslot_is_list = isinstance(data__frame__vectorinerrorslot, (list, tuple))
                    if data__frame__vectorinerrorslot_is_list:
                        def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                        data__frame__vectorinerrorslot_len = len(data__frame__vectorinerrorslot)
                        if data__frame__vectorinerrorslot_len > len(set(fn(data__frame__vectorinerrorslot_x) for data__frame__vectorinerrorslot_x in data__frame__vectorinerrorslot)):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.vector_in_error_slot must contain unique items")
                        for data__frame__vectorinerrorslot_x, data__frame__vectorinerrorslot_item in enumerate(data__frame__vectorinerrorslot):
                            if not (isinstance(data__frame__vectorinerrorslot_item, str) and data__frame__vectorinerrorslot_item == 'exception' or isinstance(data__frame__vectorinerrorslot_item, str) and data__frame__vectorinerrorslot_item == 'irq' or isinstance(data__frame__vectorinerrorslot_item, str) and data__frame__vectorinerrorslot_item == 'spurious' or isinstance(data__frame__vectorinerrorslot_item, str) and data__frame__vectorinerrorslot_item == 'software'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame.vector_in_error_slot[{data__frame__vectorinerrorslot_x}]".format(**locals()) + " must be one of ['exception', 'irq', 'spurious', 'software']")
                if data__frame_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".frame must not contain "+str(data__frame_keys)+" properties")
        if "entry" in data_keys:
            data_keys.remove("entry")
            data__entry = data["entry"]
            if not isinstance(data__entry, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry must be object")
            data__entry_is_dict = isinstance(data__entry, dict)
            if data__entry_is_dict:
                data__entry_keys = set(data__entry.keys())
                if "swapgs" in data__entry_keys:
                    data__entry_keys.remove("swapgs")
                    data__entry__swapgs = data__entry["swapgs"]
                    if not isinstance(data__entry__swapgs, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.swapgs must be boolean")
                if "clear_registers" in data__entry_keys:
                    data__entry_keys.remove("clear_registers")
                    data__entry__clearregisters = data__entry["clear_registers"]
                    if not isinstance(data__entry__clearregisters, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.clear_registers must be boolean")
                if "endbr64" in data__entry_keys:
                    data__entry_keys.remove("endbr64")
                    data__entry__endbr64 = data__entry["endbr64"]
                    if not isinstance(data__entry__endbr64, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.endbr64 must be boolean")
                if "kernel_fault" in data__entry_keys:
                    data__entry_keys.remove("kernel_fault")
                    data__entry__kernelfault = data__entry["kernel_fault"]
                    if not (isinstance(data__entry__kernelfault, str) and data__entry__kernelfault == 'resume' or isinstance(data__entry__kernelfault, str) and data__entry__kernelfault == 'halt'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.kernel_fault must be one of ['resume', 'halt']")
                if "halt" in data__entry_keys:
                    data__entry_keys.remove("halt")
                    data__entry__halt = data__entry["halt"]
                    if not isinstance(data__entry__halt, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.halt must be string")
                    if isinstance(data__entry__halt, str):
                        data__entry__halt_len = len(data__entry__halt)
                        if data__entry__halt_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.halt must be longer than or equal to 1 characters")
                if "exit_loads_cr3" in data__entry_keys:
                    data__entry_keys.remove("exit_loads_cr3")
                    data__entry__exitloadscr3 = data__entry["exit_loads_cr3"]
                    if not isinstance(data__entry__exitloadscr3, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.exit_loads_cr3 must be boolean")
                if "fsgsbase" in data__entry_keys:
                    data__entry_keys.remove("fsgsbase")
                    data__entry__fsgsbase = data__entry["fsgsbase"]
                    if not isinstance(data__entry__fsgsbase, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.fsgsbase must be boolean")
                if "exit_args" in data__entry_keys:
                    data__entry_keys.remove("exit_args")
                    data__entry__exitargs = data__entry["exit_args"]
                    if not isinstance(data__entry__exitargs, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.exit_args must be array")
                    data__entry__exitargs_is_list = isinstance(data__entry__exitargs, (list, tuple))
                    if data__entry__exitargs_is_list:
                        data__entry__exitargs_len = len(data__entry__exitargs)
                        if data__entry__exitargs_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.exit_args must contain at least 1 items")
                        if data__entry__exitargs_len > 2:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.exit_args must contain less than or equal to 2 items")
                        for data__entry__exitargs_x, data__entry__exitargs_item in enumerate(data__entry__exitargs):
                            if not (isinstance(data__entry__exitargs_item, str) and data__entry__exitargs_item == 'frame' or isinstance(data__entry__exitargs_item, str) and data__entry__exitargs_item == 'cr3'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.exit_args[{data__entry__exitargs_x}]".format(**locals()) + " must be one of ['frame', 'cr3']")
                if "data_segments" in data__entry_keys:
                    data__entry_keys.remove("data_segments")
                    data__entry__datasegments = data__entry["data_segments"]
                    if not isinstance(data__entry__datasegments, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_segments must be array")
                    data__entry__datasegments_is_list = isinstance(data__entry__datasegments, (list, tuple))
                    if data__entry__datasegments_is_list:
                        def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                        data__entry__datasegments_len = len(data__entry__datasegments)
                        if data__entry__datasegments_len > len(set(fn(data__entry__datasegments_x) for data__entry__datasegments_x in data__entry__datasegments)):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_segments must contain unique items")
                        for data__entry__datasegments_x, data__entry__datasegments_item in enumerate(data__entry__datasegments):
                            if not (isinstance(data__entry__datasegments_item, str) and data__entry__datasegments_item == 'ds' or isinstance(data__entry__datasegments_item, str) and data__entry__datasegments_item == 'es' or isinstance(data__entry__datasegments_item, str) and data__entry__datasegments_item == 'fs' or isinstance(data__entry__datasegments_item, str) and data__entry__datasegments_item == 'gs'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_segments[{data__entry__datasegments_x}]".format(**locals()) + " must be one of ['ds', 'es', 'fs', 'gs']")
                if "data_selector" in data__entry_keys:
                    data__entry_keys.remove("data_selector")
                    data__entry__dataselector = data__entry["data_selector"]
                    if not isinstance(data__entry__dataselector, (int)) and not (isinstance(data__entry__dataselector, float) and data__entry__dataselector.is_integer()) or isinstance(data__entry__dataselector, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selector must be integer")
                    if isinstance(data__entry__dataselector, (int, float, Decimal)) and not isinstance(data__entry__dataselector, bool):
                        if data__entry__dataselector < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selector must be bigger than or equal to 0")
                        if data__entry__dataselector > 65535:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selector must be smaller than or equal to 65535")
                if "data_selectors" in data__entry_keys:
                    data__entry_keys.remove("data_selectors")
                    data__entry__dataselectors = data__entry["data_selectors"]
                    if not isinstance(data__entry__dataselectors, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors must be object")
                    data__entry__dataselectors_is_dict = isinstance(data__entry__dataselectors, dict)
                    if data__entry__dataselectors_is_dict:
                        data__entry__dataselectors_len = len(data__entry__dataselectors)
                        if data__entry__dataselectors_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors must contain at least 1 properties")
                        data__entry__dataselectors_keys = set(data__entry__dataselectors.keys())
                        if "ds" in data__entry__dataselectors_keys:
                            data__entry__dataselectors_keys.remove("ds")
                            data__entry__dataselectors__ds = data__entry__dataselectors["ds"]
                            if not isinstance(data__entry__dataselectors__ds, (int)) and not (isinstance(data__entry__dataselectors__ds, float) and data__entry__dataselectors__ds.is_integer()) or isinstance(data__entry__dataselectors__ds, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors.ds must be integer")
                            if isinstance(data__entry__dataselectors__ds, (int, float, Decimal)) and not isinstance(data__entry__dataselectors__ds, bool):
                                if data__entry__dataselectors__ds < 0:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors.ds must be bigger than or equal to 0")
                                if data__entry__dataselectors__ds > 65535:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors.ds must be smaller than or equal to 65535")
                        if "es" in data__entry__dataselectors_keys:
                            data__entry__dataselectors_keys.remove("es")
                            data__entry__dataselectors__es = data__entry__dataselectors["es"]
                            if not isinstance(data__entry__dataselectors__es, (int)) and not (isinstance(data__entry__dataselectors__es, float) and data__entry__dataselectors__es.is_integer()) or isinstance(data__entry__dataselectors__es, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors.es must be integer")
                            if isinstance(data__entry__dataselectors__es, (int, float, Decimal)) and not isinstance(data__entry__dataselectors__es, bool):
                                if data__entry__dataselectors__es < 0:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors.es must be bigger than or equal to 0")
                                if data__entry__dataselectors__es > 65535:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors.es must be smaller than or equal to 65535")
                        if "fs" in data__entry__dataselectors_keys:
                            data__entry__dataselectors_keys.remove("fs")
                            data__entry__dataselectors__fs = data__entry__dataselectors["fs"]
                            if not isinstance(data__entry__dataselectors__fs, (int)) and not (isinstance(data__entry__dataselectors__fs, float) and data__entry__dataselectors__fs.is_integer()) or isinstance(data__entry__dataselectors__fs, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors.fs must be integer")
                            if isinstance(data__entry__dataselectors__fs, (int, float, Decimal)) and not isinstance(data__entry__dataselectors__fs, bool):
                                if data__entry__dataselectors__fs < 0:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors.fs must be bigger than or equal to 0")
                                if data__entry__dataselectors__fs > 65535:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors.fs must be smaller than or equal to 65535")
                        if "gs" in data__entry__dataselectors_keys:
                            data__entry__dataselectors_keys.remove("gs")
                            data__entry__dataselectors__gs = data__entry__dataselectors["gs"]
                            if not isinstance(data__entry__dataselectors__gs, (int)) and not (isinstance(data__entry__dataselectors__gs, float) and data__entry__dataselectors__gs.is_integer()) or isinstance(data__entry__dataselectors__gs, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors.gs must be integer")
                            if isinstance(data__entry__dataselectors__gs, (int, float, Decimal)) and not isinstance(data__entry__dataselectors__gs, bool):
                                if data__entry__dataselectors__gs < 0:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors.gs must be bigger than or equal to 0")
                                if data__entry__dataselectors__gs > 65535:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors.gs must be smaller than or equal to 65535")
                        if data__entry__dataselectors_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.data_selectors must not contain "+str(data__entry__dataselectors_keys)+" properties")
                if "segments_from_ds" in data__entry_keys:
                    data__entry_keys.remove("segments_from_ds")
                    data__entry__segmentsfromds = data__entry["segments_from_ds"]
                    if not isinstance(data__entry__segmentsfromds, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.segments_from_ds must be boolean")
                if "exit_frame" in data__entry_keys:
                    data__entry_keys.remove("exit_frame")
                    data__entry__exitframe = data__entry["exit_frame"]
                    if not (isinstance(data__entry__exitframe, str) and data__entry__exitframe == 'argument' or isinstance(data__entry__exitframe, str) and data__entry__exitframe == 'stack'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry.exit_frame must be one of ['argument', 'stack']")
                if data__entry_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".entry must not contain "+str(data__entry_keys)+" properties")
        if "simd" in data_keys:
            data_keys.remove("simd")
            data__simd = data["simd"]
            if not isinstance(data__simd, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".simd must be object")
            data__simd_is_dict = isinstance(data__simd, dict)
            if data__simd_is_dict:
                data__simd_keys = set(data__simd.keys())
                if "xsave_mask" in data__simd_keys:
                    data__simd_keys.remove("xsave_mask")
                    data__simd__xsavemask = data__simd["xsave_mask"]
                    if not isinstance(data__simd__xsavemask, (int)) and not (isinstance(data__simd__xsavemask, float) and data__simd__xsavemask.is_integer()) or isinstance(data__simd__xsavemask, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".simd.xsave_mask must be integer")
                    if isinstance(data__simd__xsavemask, (int, float, Decimal)) and not isinstance(data__simd__xsavemask, bool):
                        if data__simd__xsavemask < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".simd.xsave_mask must be bigger than or equal to 1")
                        if data__simd__xsavemask > 18446744073709551615:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".simd.xsave_mask must be smaller than or equal to 18446744073709551615")
                if "area_size" in data__simd_keys:
                    data__simd_keys.remove("area_size")
                    data__simd__areasize = data__simd["area_size"]
                    if not isinstance(data__simd__areasize, (int)) and not (isinstance(data__simd__areasize, float) and data__simd__areasize.is_integer()) or isinstance(data__simd__areasize, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".simd.area_size must be integer")
                    if isinstance(data__simd__areasize, (int, float, Decimal)) and not isinstance(data__simd__areasize, bool):
                        if data__simd__areasize < 512:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".simd.area_size must be bigger than or equal to 512")
                        if data__simd__areasize > 65536:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".simd.area_size must be smaller than or equal to 65536")
                if data__simd_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".simd must not contain "+str(data__simd_keys)+" properties")
        if "stubs" in data_keys:
            data_keys.remove("stubs")
            data__stubs = data["stubs"]
            if not isinstance(data__stubs, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".stubs must be object")
            data__stubs_is_dict = isinstance(data__stubs, dict)
            if data__stubs_is_dict:
                data__stubs_keys = set(data__stubs.keys())
                if "style" in data__stubs_keys:
                    data__stubs_keys.remove("style")
                    data__stubs__style = data__stubs["style"]
                    if not (isinstance(data__stubs__style, str) and data__stubs__style == 'classic' or isinstance(data__stubs__style, str) and data__stubs__style == 'dense'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".stubs.style must be one of ['classic', 'dense']")
                if "cli" in data__stubs_keys:
                    data__stubs_keys.remove("cli")
                    data__stubs__cli = data__stubs["cli"]
                    if not (isinstance(data__stubs__cli, str) and data__stubs__cli == 'never' or isinstance(data__stubs__cli, str) and data__stubs__cli == 'trap_gates' or isinstance(data__stubs__cli, str) and data__stubs__cli == 'always'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".stubs.cli must be one of ['never', 'trap_gates', 'always']")
                if "error_code_filler" in data__stubs_keys:
                    data__stubs_keys.remove("error_code_filler")
                    data__stubs__errorcodefiller = data__stubs["error_code_filler"]
                    if not (isinstance(data__stubs__errorcodefiller, str) and data__stubs__errorcodefiller == 'none' or isinstance(data__stubs__errorcodefiller, str) and data__stubs__errorcodefiller == 'nop'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".stubs.error_code_filler must be one of ['none', 'nop']")
                if data__stubs_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".stubs must not contain "+str(data__stubs_keys)+" properties")
        if "classes" in data_keys:
            data_keys.remove("classes")
            data__classes = data["classes"]
            if not isinstance(data__classes, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes must be object")
            data__classes_is_dict = isinstance(data__classes, dict)
            if data__classes_is_dict:
                data__classes_keys = set(data__classes.keys())
                if "exception" in data__classes_keys:
                    data__classes_keys.remove("exception")
                    data__classes__exception = data__classes["exception"]
                    if not isinstance(data__classes__exception, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.exception must be object")
                    data__classes__exception_is_dict = isinstance(data__classes__exception, dict)
                    if data__classes__exception_is_dict:
                        data__classes__exception_keys = set(data__classes__exception.keys())
                        if "handler" in data__classes__exception_keys:
                            data__classes__exception_keys.remove("handler")
                            data__classes__exception__handler = data__classes__exception["handler"]
                            if not isinstance(data__classes__exception__handler, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.exception.handler must be string")
                        if "kernel_handler" in data__classes__exception_keys:
                            data__classes__exception_keys.remove("kernel_handler")
                            data__classes__exception__kernelhandler = data__classes__exception["kernel_handler"]
                            if not isinstance(data__classes__exception__kernelhandler, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.exception.kernel_handler must be string")
                        if "paranoid" in data__classes__exception_keys:
                            data__classes__exception_keys.remove("paranoid")
                            data__classes__exception__paranoid = data__classes__exception["paranoid"]
                            if not isinstance(data__classes__exception__paranoid, (bool)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.exception.paranoid must be boolean")
                        if "irq_stack" in data__classes__exception_keys:
                            data__classes__exception_keys.remove("irq_stack")
                            data__classes__exception__irqstack = data__classes__exception["irq_stack"]
                            if not isinstance(data__classes__exception__irqstack, (bool)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.exception.irq_stack must be boolean")
                        if "simd" in data__classes__exception_keys:
                            data__classes__exception_keys.remove("simd")
                            data__classes__exception__simd = data__classes__exception["simd"]
                            if not (isinstance(data__classes__exception__simd, str) and data__classes__exception__simd == 'none' or isinstance(data__classes__exception__simd, str) and data__classes__exception__simd == 'fxsave' or isinstance(data__classes__exception__simd, str) and data__classes__exception__simd == 'xsave'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.exception.simd must be one of ['none', 'fxsave', 'xsave']")
                        if "ist" in data__classes__exception_keys:
                            data__classes__exception_keys.remove("ist")
                            data__classes__exception__ist = data__classes__exception["ist"]
                            if not isinstance(data__classes__exception__ist, (int, NoneType)) and not (isinstance(data__classes__exception__ist, float) and data__classes__exception__ist.is_integer()) or isinstance(data__classes__exception__ist, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.exception.ist must be integer or null")
                            if isinstance(data__classes__exception__ist, (int, float, Decimal)) and not isinstance(data__classes__exception__ist, bool):
                                if data__classes__exception__ist < 1:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.exception.ist must be bigger than or equal to 1")
                                if data__classes__exception__ist > 7:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.exception.ist must be smaller than or equal to 7")
                        if "gate" in data__classes__exception_keys:
                            data__classes__exception_keys.remove("gate")
                            data__classes__exception__gate = data__classes__exception["gate"]
                            if not (isinstance(data__classes__exception__gate, str) and data__classes__exception__gate == 'interrupt' or isinstance(data__classes__exception__gate, str) and data__classes__exception__gate == 'trap'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.exception.gate must be one of ['interrupt', 'trap']")
                        if "dpl" in data__classes__exception_keys:
                            data__classes__exception_keys.remove("dpl")
                            data__classes__exception__dpl = data__classes__exception["dpl"]
                            if not isinstance(data__classes__exception__dpl, (int)) and not (isinstance(data__classes__exception__dpl, float) and data__classes__exception__dpl.is_integer()) or isinstance(data__classes__exception__dpl, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.exception.dpl must be integer")
                            if isinstance(data__classes__exception__dpl, (int, float, Decimal)) and not isinstance(data__classes__exception__dpl, bool):
                                if data__classes__exception__dpl < 0:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.exception.dpl must be bigger than or equal to 0")
                                if data__classes__exception__dpl > 3:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.exception.dpl must be smaller than or equal to 3")
                        if data__classes__exception_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.exception must not contain "+str(data__classes__exception_keys)+" properties")
                if "irq" in data__classes_keys:
                    data__classes_keys.remove("irq")
                    data__classes__irq = data__classes["irq"]
                    if not isinstance(data__classes__irq, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.irq must be object")
                    data__classes__irq_is_dict = isinstance(data__classes__irq, dict)
                    if data__classes__irq_is_dict:
                        data__classes__irq_keys = set(data__classes__irq.keys())
                        if "handler" in data__classes__irq_keys:
                            data__classes__irq_keys.remove("handler")
                            data__classes__irq__handler = data__classes__irq["handler"]
                            if not isinstance(data__classes__irq__handler, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.irq.handler must be string")
                        if "kernel_handler" in data__classes__irq_keys:
                            data__classes__irq_keys.remove("kernel_handler")
                            data__classes__irq__kernelhandler = data__classes__irq["kernel_handler"]
                            if not isinstance(data__classes__irq__kernelhandler, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.irq.kernel_handler must be string")
                        if "paranoid" in data__classes__irq_keys:
                            data__classes__irq_keys.remove("paranoid")
                            data__classes__irq__paranoid = data__classes__irq["paranoid"]
                            if not isinstance(data__classes__irq__paranoid, (bool)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.irq.paranoid must be boolean")
                        if "irq_stack" in data__classes__irq_keys:
                            data__classes__irq_keys.remove("irq_stack")
                            data__classes__irq__irqstack = data__classes__irq["irq_stack"]
                            if not isinstance(data__classes__irq__irqstack, (bool)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.irq.irq_stack must be boolean")
                        if "simd" in data__classes__irq_keys:
                            data__classes__irq_keys.remove("simd")
                            data__classes__irq__simd = data__classes__irq["simd"]
                            if not (isinstance(data__classes__irq__simd, str) and data__classes__irq__simd == 'none' or isinstance(data__classes__irq__simd, str) and data__classes__irq__simd == 'fxsave' or isinstance(data__classes__irq__simd, str) and data__classes__irq__simd == 'xsave'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.irq.simd must be one of ['none', 'fxsave', 'xsave']")
                        if "ist" in data__classes__irq_keys:
                            data__classes__irq_keys.remove("ist")
                            data__classes__irq__ist = data__classes__irq["ist"]
                            if not isinstance(data__classes__irq__ist, (int, NoneType)) and not (isinstance(data__classes__irq__ist, float) and data__classes__irq__ist.is_integer()) or isinstance(data__classes__irq__ist, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.irq.ist must be integer or null")
                            if isinstance(data__classes__irq__ist, (int, float, Decimal)) and not isinstance(data__classes__irq__ist, bool):
                                if data__classes__irq__ist < 1:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.irq.ist must be bigger than or equal to 1")
                                if data__classes__irq__ist > 7:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.irq.ist must be smaller than or equal to 7")
                        if "gate" in data__classes__irq_keys:
                            data__classes__irq_keys.remove("gate")
                            data__classes__irq__gate = data__classes__irq["gate"]
                            if not (isinstance(data__classes__irq__gate, str) and data__classes__irq__gate == 'interrupt' or isinstance(data__classes__irq__gate, str) and data__classes__irq__gate == 'trap'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.irq.gate must be one of ['interrupt', 'trap']")
                        if "dpl" in data__classes__irq_keys:
                            data__classes__irq_keys.remove("dpl")
                            data__classes__irq__dpl = data__classes__irq["dpl"]
                            if not isinstance(data__classes__irq__dpl, (int)) and not (isinstance(data__classes__irq__dpl, float) and data__classes__irq__dpl.is_integer()) or isinstance(data__classes__irq__dpl, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.irq.dpl must be integer")
                            if isinstance(data__classes__irq__dpl, (int, float, Decimal)) and not isinstance(data__classes__irq__dpl, bool):
                                if data__classes__irq__dpl < 0:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.irq.dpl must be bigger than or equal to 0")
                                if data__classes__irq__dpl > 3:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.irq.dpl must be smaller than or equal to 3")
                        if data__classes__irq_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.irq must not contain "+str(data__classes__irq_keys)+" properties")
                if "spurious" in data__classes_keys:
                    data__classes_keys.remove("spurious")
                    data__classes__spurious = data__classes["spurious"]
                    if not isinstance(data__classes__spurious, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.spurious must be object")
                    data__classes__spurious_is_dict = isinstance(data__classes__spurious, dict)
                    if data__classes__spurious_is_dict:
                        data__classes__spurious_keys = set(data__classes__spurious.keys())
                        if "handler" in data__classes__spurious_keys:
                            data__classes__spurious_keys.remove("handler")
                            data__classes__spurious__handler = data__classes__spurious["handler"]
                            if not isinstance(data__classes__spurious__handler, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.spurious.handler must be string")
                        if "kernel_handler" in data__classes__spurious_keys:
                            data__classes__spurious_keys.remove("kernel_handler")
                            data__classes__spurious__kernelhandler = data__classes__spurious["kernel_handler"]
                            if not isinstance(data__classes__spurious__kernelhandler, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.spurious.kernel_handler must be string")
                        if "paranoid" in data__classes__spurious_keys:
                            data__classes__spurious_keys.remove("paranoid")
                            data__classes__spurious__paranoid = data__classes__spurious["paranoid"]
                            if not isinstance(data__classes__spurious__paranoid, (bool)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.spurious.paranoid must be boolean")
                        if "irq_stack" in data__classes__spurious_keys:
                            data__classes__spurious_keys.remove("irq_stack")
                            data__classes__spurious__irqstack = data__classes__spurious["irq_stack"]
                            if not isinstance(data__classes__spurious__irqstack, (bool)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.spurious.irq_stack must be boolean")
                        if "simd" in data__classes__spurious_keys:
                            data__classes__spurious_keys.remove("simd")
                            data__classes__spurious__simd = data__classes__spurious["simd"]
                            if not (isinstance(data__classes__spurious__simd, str) and data__classes__spurious__simd == 'none' or isinstance(data__classes__spurious__simd, str) and data__classes__spurious__simd == 'fxsave' or isinstance(data__classes__spurious__simd, str) and data__classes__spurious__simd == 'xsave'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.spurious.simd must be one of ['none', 'fxsave', 'xsave']")
                        if "ist" in data__classes__spurious_keys:
                            data__classes__spurious_keys.remove("ist")
                            data__classes__spurious__ist = data__classes__spurious["ist"]
                            if not isinstance(data__classes__spurious__ist, (int, NoneType)) and not (isinstance(data__classes__spurious__ist, float) and data__classes__spurious__ist.is_integer()) or isinstance(data__classes__spurious__ist, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.spurious.ist must be integer or null")
                            if isinstance(data__classes__spurious__ist, (int, float, Decimal)) and not isinstance(data__classes__spurious__ist, bool):
                                if data__classes__spurious__ist < 1:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.spurious.ist must be bigger than or equal to 1")
                                if data__classes__spurious__ist > 7:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.spurious.ist must be smaller than or equal to 7")
                        if "gate" in data__classes__spurious_keys:
                            data__classes__spurious_keys.remove("gate")
                            data__classes__spurious__gate = data__classes__spurious["gate"]
                            if not (isinstance(data__classes__spurious__gate, str) and data__classes__spurious__gate == 'interrupt' or isinstance(data__classes__spurious__gate, str) and data__classes__spurious__gate == 'trap'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.spurious.gate must be one of ['interrupt', 'trap']")
                        if "dpl" in data__classes__spurious_keys:
                            data__classes__spurious_keys.remove("dpl")
                            data__classes__spurious__dpl = data__classes__spurious["dpl"]
                            if not isinstance(data__classes__spurious__dpl, (int)) and not (isinstance(data__classes__spurious__dpl, float) and data__classes__spurious__dpl.is_integer()) or isinstance(data__classes__spurious__dpl, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.spurious.dpl must be integer")
                            if isinstance(data__classes__spurious__dpl, (int, float, Decimal)) and not isinstance(data__classes__spurious__dpl, bool):
                                if data__classes__spurious__dpl < 0:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.spurious.dpl must be bigger than or equal to 0")
                                if data__classes__spurious__dpl > 3:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.spurious.dpl must be smaller than or equal to 3")
                        if data__classes__spurious_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.spurious must not contain "+str(data__classes__spurious_keys)+" properties")
                if "software" in data__classes_keys:
                    data__classes_keys.remove("software")
                    data__classes__software = data__classes["software"]
                    if not isinstance(data__classes__software, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.software must be object")
                    data__classes__software_is_dict = isinstance(data__classes__software, dict)
                    if data__classes__software_is_dict:
                        data__classes__software_keys = set(data__classes__software.keys())
                        if "handler" in data__classes__software_keys:
                            data__classes__software_keys.remove("handler")
                            data__classes__software__handler = data__classes__software["handler"]
                            if not isinstance(data__classes__software__handler, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.software.handler must be string")
                        if "kernel_handler" in data__classes__software_keys:
                            data__classes__software_keys.remove("kernel_handler")
                            data__classes__software__kernelhandler = data__classes__software["kernel_handler"]
                            if not isinstance(data__classes__software__kernelhandler, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.software.kernel_handler must be string")
                        if "paranoid" in data__classes__software_keys:
                            data__classes__software_keys.remove("paranoid")
                            data__classes__software__paranoid = data__classes__software["paranoid"]
                            if not isinstance(data__classes__software__paranoid, (bool)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.software.paranoid must be boolean")
                        if "irq_stack" in data__classes__software_keys:
                            data__classes__software_keys.remove("irq_stack")
                            data__classes__software__irqstack = data__classes__software["irq_stack"]
                            if not isinstance(data__classes__software__irqstack, (bool)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.software.irq_stack must be boolean")
                        if "simd" in data__classes__software_keys:
                            data__classes__software_keys.remove("simd")
                            data__classes__software__simd = data__classes__software["simd"]
                            if not (isinstance(data__classes__software__simd, str) and data__classes__software__simd == 'none' or isinstance(data__classes__software__simd, str) and data__classes__software__simd == 'fxsave' or isinstance(data__classes__software__simd, str) and data__classes__software__simd == 'xsave'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.software.simd must be one of ['none', 'fxsave', 'xsave']")
                        if "ist" in data__classes__software_keys:
                            data__classes__software_keys.remove("ist")
                            data__classes__software__ist = data__classes__software["ist"]
                            if not isinstance(data__classes__software__ist, (int, NoneType)) and not (isinstance(data__classes__software__ist, float) and data__classes__software__ist.is_integer()) or isinstance(data__classes__software__ist, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.software.ist must be integer or null")
                            if isinstance(data__classes__software__ist, (int, float, Decimal)) and not isinstance(data__classes__software__ist, bool):
                                if data__classes__software__ist < 1:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.software.ist must be bigger than or equal to 1")
                                if data__classes__software__ist > 7:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.software.ist must be smaller than or equal to 7")
                        if "gate" in data__classes__software_keys:
                            data__classes__software_keys.remove("gate")
                            data__classes__software__gate = data__classes__software["gate"]
                            if not (isinstance(data__classes__software__gate, str) and data__classes__software__gate == 'interrupt' or isinstance(data__classes__software__gate, str) and data__classes__software__gate == 'trap'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.software.gate must be one of ['interrupt', 'trap']")
                        if "dpl" in data__classes__software_keys:
                            data__classes__software_keys.remove("dpl")
                            data__classes__software__dpl = data__classes__software["dpl"]
                            if not isinstance(data__classes__software__dpl, (int)) and not (isinstance(data__classes__software__dpl, float) and data__classes__software__dpl.is_integer()) or isinstance(data__classes__software__dpl, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.software.dpl must be integer")
                            if isinstance(data__classes__software__dpl, (int, float, Decimal)) and not isinstance(data__classes__software__dpl, bool):
                                if data__classes__software__dpl < 0:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.software.dpl must be bigger than or equal to 0")
                                if data__classes__software__dpl > 3:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.software.dpl must be smaller than or equal to 3")
                        if data__classes__software_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes.software must not contain "+str(data__classes__software_keys)+" properties")
                if data__classes_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".classes must not contain "+str(data__classes_keys)+" properties")
        if "syscall" in data_keys:
            data_keys.remove("syscall")
            data__syscall = data["syscall"]
            if not isinstance(data__syscall, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall must be object")
            data__syscall_is_dict = isinstance(data__syscall, dict)
            if data__syscall_is_dict:
                data__syscall__missing_keys = set(['handler']) - data__syscall.keys()
                if data__syscall__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall must contain ")
                data__syscall_keys = set(data__syscall.keys())
                if "entry" in data__syscall_keys:
                    data__syscall_keys.remove("entry")
                    data__syscall__entry = data__syscall["entry"]
                    if not isinstance(data__syscall__entry, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.entry must be string")
                    if isinstance(data__syscall__entry, str):
                        data__syscall__entry_len = len(data__syscall__entry)
                        if data__syscall__entry_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.entry must be longer than or equal to 1 characters")
                if "handler" in data__syscall_keys:
                    data__syscall_keys.remove("handler")
                    data__syscall__handler = data__syscall["handler"]
                    if not isinstance(data__syscall__handler, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.handler must be string")
                if "marker" in data__syscall_keys:
                    data__syscall_keys.remove("marker")
                    data__syscall__marker = data__syscall["marker"]
                    if not isinstance(data__syscall__marker, (int)) and not (isinstance(data__syscall__marker, float) and data__syscall__marker.is_integer()) or isinstance(data__syscall__marker, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.marker must be integer")
                    if isinstance(data__syscall__marker, (int, float, Decimal)) and not isinstance(data__syscall__marker, bool):
                        if data__syscall__marker < -2147483648:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.marker must be bigger than or equal to -2147483648")
                        if data__syscall__marker > 18446744073709551615:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.marker must be smaller than or equal to 18446744073709551615")
                if "kernel_stack_gs" in data__syscall_keys:
                    data__syscall_keys.remove("kernel_stack_gs")
                    data__syscall__kernelstackgs = data__syscall["kernel_stack_gs"]
                    if not isinstance(data__syscall__kernelstackgs, (int)) and not (isinstance(data__syscall__kernelstackgs, float) and data__syscall__kernelstackgs.is_integer()) or isinstance(data__syscall__kernelstackgs, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.kernel_stack_gs must be integer")
                    if isinstance(data__syscall__kernelstackgs, (int, float, Decimal)) and not isinstance(data__syscall__kernelstackgs, bool):
                        if data__syscall__kernelstackgs < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.kernel_stack_gs must be bigger than or equal to 0")
                        if data__syscall__kernelstackgs > 2147483647:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.kernel_stack_gs must be smaller than or equal to 2147483647")
                if "user_stack_gs" in data__syscall_keys:
                    data__syscall_keys.remove("user_stack_gs")
                    data__syscall__userstackgs = data__syscall["user_stack_gs"]
                    if not isinstance(data__syscall__userstackgs, (int)) and not (isinstance(data__syscall__userstackgs, float) and data__syscall__userstackgs.is_integer()) or isinstance(data__syscall__userstackgs, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.user_stack_gs must be integer")
                    if isinstance(data__syscall__userstackgs, (int, float, Decimal)) and not isinstance(data__syscall__userstackgs, bool):
                        if data__syscall__userstackgs < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.user_stack_gs must be bigger than or equal to 0")
                        if data__syscall__userstackgs > 2147483647:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.user_stack_gs must be smaller than or equal to 2147483647")
                if "user_cs" in data__syscall_keys:
                    data__syscall_keys.remove("user_cs")
                    data__syscall__usercs = data__syscall["user_cs"]
                    if not isinstance(data__syscall__usercs, (int)) and not (isinstance(data__syscall__usercs, float) and data__syscall__usercs.is_integer()) or isinstance(data__syscall__usercs, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.user_cs must be integer")
                    if isinstance(data__syscall__usercs, (int, float, Decimal)) and not isinstance(data__syscall__usercs, bool):
                        if data__syscall__usercs < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.user_cs must be bigger than or equal to 0")
                        if data__syscall__usercs > 65535:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.user_cs must be smaller than or equal to 65535")
                if "user_ss" in data__syscall_keys:
                    data__syscall_keys.remove("user_ss")
                    data__syscall__userss = data__syscall["user_ss"]
                    if not isinstance(data__syscall__userss, (int)) and not (isinstance(data__syscall__userss, float) and data__syscall__userss.is_integer()) or isinstance(data__syscall__userss, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.user_ss must be integer")
                    if isinstance(data__syscall__userss, (int, float, Decimal)) and not isinstance(data__syscall__userss, bool):
                        if data__syscall__userss < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.user_ss must be bigger than or equal to 0")
                        if data__syscall__userss > 65535:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.user_ss must be smaller than or equal to 65535")
                if "kernel_stack" in data__syscall_keys:
                    data__syscall_keys.remove("kernel_stack")
                    data__syscall__kernelstack = data__syscall["kernel_stack"]
                    if not isinstance(data__syscall__kernelstack, (str, int)) and not (isinstance(data__syscall__kernelstack, float) and data__syscall__kernelstack.is_integer()) or isinstance(data__syscall__kernelstack, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.kernel_stack must be string or integer")
                    if isinstance(data__syscall__kernelstack, (int, float, Decimal)) and not isinstance(data__syscall__kernelstack, bool):
                        if data__syscall__kernelstack < -2147483648:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.kernel_stack must be bigger than or equal to -2147483648")
                        if data__syscall__kernelstack > 18446744073709551615:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.kernel_stack must be smaller than or equal to 18446744073709551615")
                if "user_stack" in data__syscall_keys:
                    data__syscall_keys.remove("user_stack")
                    data__syscall__userstack = data__syscall["user_stack"]
                    if not isinstance(data__syscall__userstack, (str, int)) and not (isinstance(data__syscall__userstack, float) and data__syscall__userstack.is_integer()) or isinstance(data__syscall__userstack, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.user_stack must be string or integer")
                    if isinstance(data__syscall__userstack, (int, float, Decimal)) and not isinstance(data__syscall__userstack, bool):
                        if data__syscall__userstack < -2147483648:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.user_stack must be bigger than or equal to -2147483648")
                        if data__syscall__userstack > 18446744073709551615:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.user_stack must be smaller than or equal to 18446744073709551615")
                if "restored" in data__syscall_keys:
                    data__syscall_keys.remove("restored")
                    data__syscall__restored = data__syscall["restored"]
                    if not isinstance(data__syscall__restored, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.restored must be array")
                    data__syscall__restored_is_list = isinstance(data__syscall__restored, (list, tuple))
                    if data__syscall__restored_is_list:
                        data__syscall__restored_len = len(data__syscall__restored)
                        for data__syscall__restored_x, data__syscall__restored_item in enumerate(data__syscall__restored):
                            if not (isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'rax' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'rbx' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'rcx' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'rdx' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'rsi' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'rdi' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'rbp' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'r8' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'r9' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'r10' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'r11' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'r12' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'r13' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'r14' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'r15' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'eax' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'ebx' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'ecx' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'edx' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'esi' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'edi' or isinstance(data__syscall__restored_item, str) and data__syscall__restored_item == 'ebp'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall.restored[{data__syscall__restored_x}]".format(**locals()) + " must be one of ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp']")
                if data__syscall_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".syscall must not contain "+str(data__syscall_keys)+" properties")
        if "paranoid_gs" in data_keys:
            data_keys.remove("paranoid_gs")
            data__paranoidgs = data["paranoid_gs"]
            if not isinstance(data__paranoidgs, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".paranoid_gs must be object")
            data__paranoidgs_is_dict = isinstance(data__paranoidgs, dict)
            if data__paranoidgs_is_dict:
                data__paranoidgs_keys = set(data__paranoidgs.keys())
                if "method" in data__paranoidgs_keys:
                    data__paranoidgs_keys.remove("method")
                    data__paranoidgs__method = data__paranoidgs["method"]
                    if not (isinstance(data__paranoidgs__method, str) and data__paranoidgs__method == 'msr_sign' or isinstance(data__paranoidgs__method, str) and data__paranoidgs__method == 'rdpid' or isinstance(data__paranoidgs__method, str) and data__paranoidgs__method == 'rdtscp' or isinstance(data__paranoidgs__method, str) and data__paranoidgs__method == 'lsl'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".paranoid_gs.method must be one of ['msr_sign', 'rdpid', 'rdtscp', 'lsl']")
                if "offsets" in data__paranoidgs_keys:
                    data__paranoidgs_keys.remove("offsets")
                    data__paranoidgs__offsets = data__paranoidgs["offsets"]
                    if not isinstance(data__paranoidgs__offsets, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".paranoid_gs.offsets must be string")
                    if isinstance(data__paranoidgs__offsets, str):
                        data__paranoidgs__offsets_len = len(data__paranoidgs__offsets)
                        if data__paranoidgs__offsets_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".paranoid_gs.offsets must be longer than or equal to 1 characters")
                if "cpunode_selector" in data__paranoidgs_keys:
                    data__paranoidgs_keys.remove("cpunode_selector")
                    data__paranoidgs__cpunodeselector = data__paranoidgs["cpunode_selector"]
                    if not isinstance(data__paranoidgs__cpunodeselector, (int)) and not (isinstance(data__paranoidgs__cpunodeselector, float) and data__paranoidgs__cpunodeselector.is_integer()) or isinstance(data__paranoidgs__cpunodeselector, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".paranoid_gs.cpunode_selector must be integer")
                    if isinstance(data__paranoidgs__cpunodeselector, (int, float, Decimal)) and not isinstance(data__paranoidgs__cpunodeselector, bool):
                        if data__paranoidgs__cpunodeselector < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".paranoid_gs.cpunode_selector must be bigger than or equal to 0")
                        if data__paranoidgs__cpunodeselector > 65535:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".paranoid_gs.cpunode_selector must be smaller than or equal to 65535")
                if data__paranoidgs_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".paranoid_gs must not contain "+str(data__paranoidgs_keys)+" properties")
        if "irq_stack" in data_keys:
            data_keys.remove("irq_stack")
            data__irqstack = data["irq_stack"]
            if not isinstance(data__irqstack, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".irq_stack must be object")
            data__irqstack_is_dict = isinstance(data__irqstack, dict)
            if data__irqstack_is_dict:
                data__irqstack__missing_keys = set(['top_gs', 'depth_gs']) - data__irqstack.keys()
                if data__irqstack__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".irq_stack must contain ")
                data__irqstack_keys = set(data__irqstack.keys())
                if "top_gs" in data__irqstack_keys:
                    data__irqstack_keys.remove("top_gs")
                    data__irqstack__topgs = data__irqstack["top_gs"]
                    if not isinstance(data__irqstack__topgs, (int)) and not (isinstance(data__irqstack__topgs, float) and data__irqstack__topgs.is_integer()) or isinstance(data__irqstack__topgs, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".irq_stack.top_gs must be integer")
                    if isinstance(data__irqstack__topgs, (int, float, Decimal)) and not isinstance(data__irqstack__topgs, bool):
                        if data__irqstack__topgs < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".irq_stack.top_gs must be bigger than or equal to 0")
                        if data__irqstack__topgs > 2147483647:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".irq_stack.top_gs must be smaller than or equal to 2147483647")
                if "depth_gs" in data__irqstack_keys:
                    data__irqstack_keys.remove("depth_gs")
                    data__irqstack__depthgs = data__irqstack["depth_gs"]
                    if not isinstance(data__irqstack__depthgs, (int)) and not (isinstance(data__irqstack__depthgs, float) and data__irqstack__depthgs.is_integer()) or isinstance(data__irqstack__depthgs, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".irq_stack.depth_gs must be integer")
                    if isinstance(data__irqstack__depthgs, (int, float, Decimal)) and not isinstance(data__irqstack__depthgs, bool):
                        if data__irqstack__depthgs < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".irq_stack.depth_gs must be bigger than or equal to 0")
                        if data__irqstack__depthgs > 2147483647:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".irq_stack.depth_gs must be smaller than or equal to 2147483647")
                if data__irqstack_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".irq_stack must not contain "+str(data__irqstack_keys)+" properties")
        if "outputs" in data_keys:
            data_keys.remove("outputs")
            data__outputs = data["outputs"]
            if not isinstance(data__outputs, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs must be object")
            data__outputs_is_dict = isinstance(data__outputs, dict)
            if data__outputs_is_dict:
                data__outputs_keys = set(data__outputs.keys())
                for data__outputs_key in data__outputs_keys:
                    if data__outputs_key not in []:
                        data__outputs_value = data__outputs.get(data__outputs_key)
                        data__outputs_value_any_of_count1 = 0
                        if not data__outputs_value_any_of_count1:
                            try:
                                if not isinstance(data__outputs_value, (str)):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}".format(**locals()) + " must be string")
                                if isinstance(data__outputs_value, str):
                                    if not REGEX_PATTERNS['^[A-Za-z0-9_.+-]+$'].search(data__outputs_value):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}".format(**locals()) + " must match pattern ^[A-Za-z0-9_.+-]+$")
                                data__outputs_value_any_of_count1 += 1
                            except (JsonSchemaValueException, JsonSchemaValuesException): pass
                        if not data__outputs_value_any_of_count1:
                            try:
                                if not isinstance(data__outputs_value, (dict)):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}".format(**locals()) + " must be object")
                                data__outputs_value_is_dict = isinstance(data__outputs_value, dict)
                                if data__outputs_value_is_dict:
                                    data__outputs_value__missing_keys = set(['stubs', 'table', 'entry']) - data__outputs_value.keys()
                                    if data__outputs_value__missing_keys:
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}".format(**locals()) + " must contain ")
                                    data__outputs_value_keys = set(data__outputs_value.keys())
                                    if "stubs" in data__outputs_value_keys:
                                        data__outputs_value_keys.remove("stubs")
                                        data__outputs_value__stubs = data__outputs_value["stubs"]
                                        if not isinstance(data__outputs_value__stubs, (str)):
                                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}.stubs".format(**locals()) + " must be string")
                                        if isinstance(data__outputs_value__stubs, str):
                                            if not REGEX_PATTERNS['^[A-Za-z0-9_.+-]+$'].search(data__outputs_value__stubs):
                                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}.stubs".format(**locals()) + " must match pattern ^[A-Za-z0-9_.+-]+$")
                                    if "table" in data__outputs_value_keys:
                                        data__outputs_value_keys.remove("table")
                                        data__outputs_value__table = data__outputs_value["table"]
                                        if not isinstance(data__outputs_value__table, (str)):
                                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}.table".format(**locals()) + " must be string")
                                        if isinstance(data__outputs_value__table, str):
                                            if not REGEX_PATTERNS['^[A-Za-z0-9_.+-]+$'].search(data__outputs_value__table):
                                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}.table".format(**locals()) + " must match pattern ^[A-Za-z0-9_.+-]+$")
                                    if "entry" in data__outputs_value_keys:
                                        data__outputs_value_keys.remove("entry")
                                        data__outputs_value__entry = data__outputs_value["entry"]
                                        if not isinstance(data__outputs_value__entry, (str)):
                                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}.entry".format(**locals()) + " must be string")
                                        if isinstance(data__outputs_value__entry, str):
                                            if not REGEX_PATTERNS['^[A-Za-z0-9_.+-]+$'].search(data__outputs_value__entry):
                                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}.entry".format(**locals()) + " must match pattern ^[A-Za-z0-9_.+-]+$")
                                    if "exit" in data__outputs_value_keys:
                                        data__outputs_value_keys.remove("exit")
                                        data__outputs_value__exit = data__outputs_value["exit"]
                                        if not isinstance(data__outputs_value__exit, (str)):
                                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}.exit".format(**locals()) + " must be string")
                                        if isinstance(data__outputs_value__exit, str):
                                            if not REGEX_PATTERNS['^[A-Za-z0-9_.+-]+$'].search(data__outputs_value__exit):
                                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}.exit".format(**locals()) + " must match pattern ^[A-Za-z0-9_.+-]+$")
                                    if "syscall" in data__outputs_value_keys:
                                        data__outputs_value_keys.remove("syscall")
                                        data__outputs_value__syscall = data__outputs_value["syscall"]
                                        if not isinstance(data__outputs_value__syscall, (str)):
                                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}.syscall".format(**locals()) + " must be string")
                                        if isinstance(data__outputs_value__syscall, str):
                                            if not REGEX_PATTERNS['^[A-Za-z0-9_.+-]+$'].search(data__outputs_value__syscall):
                                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}.syscall".format(**locals()) + " must match pattern ^[A-Za-z0-9_.+-]+$")
                                    if data__outputs_value_keys:
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}".format(**locals()) + " must not contain "+str(data__outputs_value_keys)+" properties")
                                data__outputs_value_any_of_count1 += 1
                            except (JsonSchemaValueException, JsonSchemaValuesException): pass
                        if not data__outputs_value_any_of_count1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs.{data__outputs_key}".format(**locals()) + " cannot be validated by any definition")
                data__outputs_len = len(data__outputs)
                if data__outputs_len != 0:
                    data__outputs_property_names = True
                    for data__outputs_key in data__outputs:
                        try:
                            if isinstance(data__outputs_key, str):
                                if not REGEX_PATTERNS['^[a-z][a-z0-9_-]*$'].search(data__outputs_key):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs must match pattern ^[a-z][a-z0-9_-]*$")
                        except (JsonSchemaValueException, JsonSchemaValuesException):
                            data__outputs_property_names = False
                    if not data__outputs_property_names:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".outputs must be named by propertyName definition")
        if "vectors" in data_keys:
            data_keys.remove("vectors")
            data__vectors = data["vectors"]
            if not isinstance(data__vectors, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors must be array")
            data__vectors_is_list = isinstance(data__vectors, (list, tuple))
            if data__vectors_is_list:
                data__vectors_len = len(data__vectors)
                if data__vectors_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors must contain at least 1 items")
                for data__vectors_x, data__vectors_item in enumerate(data__vectors):
                    if not isinstance(data__vectors_item, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}]".format(**locals()) + " must be object")
                    data__vectors_item_one_of_count2 = 0
                    if data__vectors_item_one_of_count2 < 2:
                        try:
                            data__vectors_item_is_dict = isinstance(data__vectors_item, dict)
                            if data__vectors_item_is_dict:
                                data__vectors_item__missing_keys = set(['vector']) - data__vectors_item.keys()
                                if data__vectors_item__missing_keys:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}]".format(**locals()) + " must contain ")
                            data__vectors_item_one_of_count2 += 1
                        except (JsonSchemaValueException, JsonSchemaValuesException): pass
                    if data__vectors_item_one_of_count2 < 2:
                        try:
                            data__vectors_item_is_dict = isinstance(data__vectors_item, dict)
                            if data__vectors_item_is_dict:
                                data__vectors_item__missing_keys = set(['range']) - data__vectors_item.keys()
                                if data__vectors_item__missing_keys:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}]".format(**locals()) + " must contain ")
                            data__vectors_item_one_of_count2 += 1
                        except (JsonSchemaValueException, JsonSchemaValuesException): pass
                    if data__vectors_item_one_of_count2 != 1:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}]".format(**locals()) + " must be valid exactly by one definition")
                    data__vectors_item_is_dict = isinstance(data__vectors_item, dict)
                    if data__vectors_item_is_dict:
                        data__vectors_item_keys = set(data__vectors_item.keys())
                        if "vector" in data__vectors_item_keys:
                            data__vectors_item_keys.remove("vector")
                            data__vectors_item__vector = data__vectors_item["vector"]
                            if not isinstance(data__vectors_item__vector, (int)) and not (isinstance(data__vectors_item__vector, float) and data__vectors_item__vector.is_integer()) or isinstance(data__vectors_item__vector, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].vector".format(**locals()) + " must be integer")
                            if isinstance(data__vectors_item__vector, (int, float, Decimal)) and not isinstance(data__vectors_item__vector, bool):
                                if data__vectors_item__vector < 0:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].vector".format(**locals()) + " must be bigger than or equal to 0")
                                if data__vectors_item__vector > 255:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].vector".format(**locals()) + " must be smaller than or equal to 255")
                        if "range" in data__vectors_item_keys:
                            data__vectors_item_keys.remove("range")
                            data__vectors_item__range = data__vectors_item["range"]
                            if not isinstance(data__vectors_item__range, (list, tuple)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].range".format(**locals()) + " must be array")
                            data__vectors_item__range_is_list = isinstance(data__vectors_item__range, (list, tuple))
                            if data__vectors_item__range_is_list:
                                data__vectors_item__range_len = len(data__vectors_item__range)
                                if data__vectors_item__range_len < 2:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].range".format(**locals()) + " must contain at least 2 items")
                                if data__vectors_item__range_len > 2:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].range".format(**locals()) + " must contain less than or equal to 2 items")
                                for data__vectors_item__range_x, data__vectors_item__range_item in enumerate(data__vectors_item__range):
                                    if not isinstance(data__vectors_item__range_item, (int)) and not (isinstance(data__vectors_item__range_item, float) and data__vectors_item__range_item.is_integer()) or isinstance(data__vectors_item__range_item, bool):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].range[{data__vectors_item__range_x}]".format(**locals()) + " must be integer")
                                    if isinstance(data__vectors_item__range_item, (int, float, Decimal)) and not isinstance(data__vectors_item__range_item, bool):
                                        if data__vectors_item__range_item < 0:
                                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].range[{data__vectors_item__range_x}]".format(**locals()) + " must be bigger than or equal to 0")
                                        if data__vectors_item__range_item > 255:
                                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].range[{data__vectors_item__range_x}]".format(**locals()) + " must be smaller than or equal to 255")
                        if "name" in data__vectors_item_keys:
                            data__vectors_item_keys.remove("name")
                            data__vectors_item__name = data__vectors_item["name"]
                            if not isinstance(data__vectors_item__name, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].name".format(**locals()) + " must be string")
                        if "class" in data__vectors_item_keys:
                            data__vectors_item_keys.remove("class")
                            data__vectors_item__class = data__vectors_item["class"]
                            if not (isinstance(data__vectors_item__class, str) and data__vectors_item__class == 'exception' or isinstance(data__vectors_item__class, str) and data__vectors_item__class == 'irq' or isinstance(data__vectors_item__class, str) and data__vectors_item__class == 'spurious' or isinstance(data__vectors_item__class, str) and data__vectors_item__class == 'software'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].class".format(**locals()) + " must be one of ['exception', 'irq', 'spurious', 'software']")
                        if "handler" in data__vectors_item_keys:
                            data__vectors_item_keys.remove("handler")
                            data__vectors_item__handler = data__vectors_item["handler"]
                            if not isinstance(data__vectors_item__handler, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].handler".format(**locals()) + " must be string")
                        if "ist" in data__vectors_item_keys:
                            data__vectors_item_keys.remove("ist")
                            data__vectors_item__ist = data__vectors_item["ist"]
                            if not isinstance(data__vectors_item__ist, (int, NoneType)) and not (isinstance(data__vectors_item__ist, float) and data__vectors_item__ist.is_integer()) or isinstance(data__vectors_item__ist, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].ist".format(**locals()) + " must be integer or null")
                            if isinstance(data__vectors_item__ist, (int, float, Decimal)) and not isinstance(data__vectors_item__ist, bool):
                                if data__vectors_item__ist < 1:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].ist".format(**locals()) + " must be bigger than or equal to 1")
                                if data__vectors_item__ist > 7:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].ist".format(**locals()) + " must be smaller than or equal to 7")
                        if "gate" in data__vectors_item_keys:
                            data__vectors_item_keys.remove("gate")
                            data__vectors_item__gate = data__vectors_item["gate"]
                            if not (isinstance(data__vectors_item__gate, str) and data__vectors_item__gate == 'interrupt' or isinstance(data__vectors_item__gate, str) and data__vectors_item__gate == 'trap'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].gate".format(**locals()) + " must be one of ['interrupt', 'trap']")
                        if "dpl" in data__vectors_item_keys:
                            data__vectors_item_keys.remove("dpl")
                            data__vectors_item__dpl = data__vectors_item["dpl"]
                            if not isinstance(data__vectors_item__dpl, (int)) and not (isinstance(data__vectors_item__dpl, float) and data__vectors_item__dpl.is_integer()) or isinstance(data__vectors_item__dpl, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].dpl".format(**locals()) + " must be integer")
                            if isinstance(data__vectors_item__dpl, (int, float, Decimal)) and not isinstance(data__vectors_item__dpl, bool):
                                if data__vectors_item__dpl < 0:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].dpl".format(**locals()) + " must be bigger than or equal to 0")
                                if data__vectors_item__dpl > 3:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].dpl".format(**locals()) + " must be smaller than or equal to 3")
                        if "error_code" in data__vectors_item_keys:
                            data__vectors_item_keys.remove("error_code")
                            data__vectors_item__errorcode = data__vectors_item["error_code"]
                            if not isinstance(data__vectors_item__errorcode, (bool)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].error_code".format(**locals()) + " must be boolean")
                        if "error_code_override" in data__vectors_item_keys:
                            data__vectors_item_keys.remove("error_code_override")
                            data__vectors_item__errorcodeoverride = data__vectors_item["error_code_override"]
                            if not isinstance(data__vectors_item__errorcodeoverride, (bool)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].error_code_override".format(**locals()) + " must be boolean")
                        if "kernel_handler" in data__vectors_item_keys:
                            data__vectors_item_keys.remove("kernel_handler")
                            data__vectors_item__kernelhandler = data__vectors_item["kernel_handler"]
                            if not isinstance(data__vectors_item__kernelhandler, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].kernel_handler".format(**locals()) + " must be string")
                        if "paranoid" in data__vectors_item_keys:
                            data__vectors_item_keys.remove("paranoid")
                            data__vectors_item__paranoid = data__vectors_item["paranoid"]
                            if not isinstance(data__vectors_item__paranoid, (bool)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].paranoid".format(**locals()) + " must be boolean")
                        if "irq_stack" in data__vectors_item_keys:
                            data__vectors_item_keys.remove("irq_stack")
                            data__vectors_item__irqstack = data__vectors_item["irq_stack"]
                            if not isinstance(data__vectors_item__irqstack, (bool)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].irq_stack".format(**locals()) + " must be boolean")
                        if "simd" in data__vectors_item_keys:
                            data__vectors_item_keys.remove("simd")
                            data__vectors_item__simd = data__vectors_item["simd"]
                            if not (isinstance(data__vectors_item__simd, str) and data__vectors_item__simd == 'none' or isinstance(data__vectors_item__simd, str) and data__vectors_item__simd == 'fxsave' or isinstance(data__vectors_item__simd, str) and data__vectors_item__simd == 'xsave'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}].simd".format(**locals()) + " must be one of ['none', 'fxsave', 'xsave']")
                        if data__vectors_item_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".vectors[{data__vectors_x}]".format(**locals()) + " must not contain "+str(data__vectors_item_keys)+" properties")
        if "table" in data_keys:
            data_keys.remove("table")
            data__table = data["table"]
            if not isinstance(data__table, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".table must be object")
            data__table_is_dict = isinstance(data__table, dict)
            if data__table_is_dict:
                data__table_keys = set(data__table.keys())
                if "width" in data__table_keys:
                    data__table_keys.remove("width")
                    data__table__width = data__table["width"]
                    if not (isinstance(data__table__width, (int, float)) and not isinstance(data__table__width, bool) and data__table__width == 4 or isinstance(data__table__width, (int, float)) and not isinstance(data__table__width, bool) and data__table__width == 8):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".table.width must be one of [4, 8]")
                if "align" in data__table_keys:
                    data__table_keys.remove("align")
                    data__table__align = data__table["align"]
                    if not isinstance(data__table__align, (int)) and not (isinstance(data__table__align, float) and data__table__align.is_integer()) or isinstance(data__table__align, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".table.align must be integer")
                    if isinstance(data__table__align, (int, float, Decimal)) and not isinstance(data__table__align, bool):
                        if data__table__align < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".table.align must be bigger than or equal to 1")
                        if data__table__align > 4096:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".table.align must be smaller than or equal to 4096")
                if "contents" in data__table_keys:
                    data__table_keys.remove("contents")
                    data__table__contents = data__table["contents"]
                    if not (isinstance(data__table__contents, str) and data__table__contents == 'stubs' or isinstance(data__table__contents, str) and data__table__contents == 'idt'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".table.contents must be one of ['stubs', 'idt']")
                if data__table_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".table must not contain "+str(data__table_keys)+" properties")
        if "debug" in data_keys:
            data_keys.remove("debug")
            data__debug = data["debug"]
            if not isinstance(data__debug, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".debug must be object")
            data__debug_is_dict = isinstance(data__debug, dict)
            if data__debug_is_dict:
                data__debug_keys = set(data__debug.keys())
                if "cfi" in data__debug_keys:
                    data__debug_keys.remove("cfi")
                    data__debug__cfi = data__debug["cfi"]
                    if not isinstance(data__debug__cfi, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".debug.cfi must be boolean")
                if "cfi_sections" in data__debug_keys:
                    data__debug_keys.remove("cfi_sections")
                    data__debug__cfisections = data__debug["cfi_sections"]
                    if not (isinstance(data__debug__cfisections, str) and data__debug__cfisections == 'eh_frame' or isinstance(data__debug__cfisections, str) and data__debug__cfisections == 'debug_frame'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".debug.cfi_sections must be one of ['eh_frame', 'debug_frame']")
                if data__debug_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".debug must not contain "+str(data__debug_keys)+" properties")
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties")
    return data


validate = validate_https___isrgen_invalid_schema_spec_1_json
