//! The call plan of one FnPtr or Library function, and the plain Node-API function made for it.

use std::cell::RefCell;
use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;

use bare_fn_core::{Param, Registers, Signature, Type, MAX_ARGS};
use napi::sys;

use crate::calls_in_progress::ThreadCalls;
use crate::external::from_external;
use crate::from_js::from_js;
use crate::library::LibraryState;
use crate::raw::{read_string, strong_ref, type_of, Failure, Raw};
use crate::text::OwnedText;
use crate::views::encoded_struct;

use super::entry::CALLBACKS;

/// Everything a call needs that does not change from call to call, read by the function's
/// Node-API callback through its data pointer.
pub struct CallPlan {
    pub address: usize,
    pub sig: Arc<Signature>,
    /// Whether an argument is a C string (the call then encodes strings on its stack).
    pub strings: bool,
    /// The library the function was looked up in: its calls are refused once it is closed.
    pub library: Option<Arc<LibraryState>>,
    /// The function's name (a Library function's symbol), for messages.
    pub name: Box<str>,
    /// Where a returned struct goes.
    pub result: Option<StructResult>,
    /// The returned struct has C strings and the arguments do too: src/lib/fn-ptr.ts decodes the
    /// struct after the call returns, and its strings may point into the arguments' (strchr
    /// would), so those are kept until the next call (`kept`) instead of freed on return.
    pub keeps_strings: bool,
    pub kept: RefCell<Vec<OwnedText>>,
    /// The `NativeCalls` of the thread the function was made on, the only one it can be called
    /// on (a JS function belongs to its env): found without a thread-local lookup.
    pub calls: ThreadCalls,
    /// For a signature whose arguments all travel in registers: how each is converted in the
    /// common case and which register it goes to, found once (`Step`).
    pub steps: Option<[Step; MAX_ARGS]>,
}

/// How one argument of a call in registers is converted, in the common case: a number that is an
/// f64 or an exact i32, or a C string's address, goes straight to its register; anything else
/// (other types, a value that needs checking or an error, a variadic f32 to widen) takes the
/// general conversion.
#[derive(Clone, Copy)]
pub struct Step {
    pub kind: StepKind,
    /// `Registers::index_of` of the argument's register.
    pub index: u8,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    F64,
    I32,
    /// A `cstring` argument: a string encoded into the call's strings, or null.
    CString,
    Other,
}

/// The steps of a signature whose arguments all travel in registers.
fn steps_of(sig: &Signature) -> Option<[Step; MAX_ARGS]> {
    let inputs = sig.scalar_inputs().filter(|_| sig.registers_only())?;
    let mut steps = [Step {
        kind: StepKind::Other,
        index: 0,
    }; MAX_ARGS];
    for (step, input) in steps.iter_mut().zip(inputs) {
        *step = Step {
            kind: match (input.declared, input.widen) {
                (Type::F64, false) => StepKind::F64,
                (Type::I32, false) => StepKind::I32,
                (Type::CString, false) => StepKind::CString,
                _ => StepKind::Other,
            },
            index: Registers::index_of(input.loc)?,
        };
    }
    Some(steps)
}

/// The JS bytes a returned struct is copied into, decoded by src/lib/fn-ptr.ts after the call.
pub struct StructResult {
    /// A strong reference to the view, so that `data` stays valid while the plan lives; deleted
    /// by the plan's finalizer.
    reference: sys::napi_ref,
    pub data: *mut u8,
    pub size: usize,
}

/// `createCaller(signature, address, name, out, library)`: a function that calls `address` as
/// `signature` (an External of `NativeSignature.handle()`), named `name`. `out` is the view a
/// returned struct is stored into (undefined for a scalar result); `library` is the External of
/// `NativeLibrary.handle()` the address was looked up in, or undefined. src/lib/fn-ptr.ts has checked
/// the address (not NULL, aligned for code) and the library (open).
///
/// # Safety
/// `env` is live on this thread, the arguments belong to its open scope.
pub unsafe fn create(env: sys::napi_env, args: [Raw; 5]) -> Result<sys::napi_value, Failure> {
    let [signature, address, name, out, library] = args;
    // SAFETY (all calls): forwarded.
    let sig = unsafe { from_external::<Signature>(env, signature) }?;
    let address = unsafe { from_js(env, Type::Pointer, address.0, &mut Vec::new()) }?;
    let name = read_string(env, name.0).ok_or_else(|| Failure::type_error("bare-fn: a name"))?;
    let library = match type_of(env, library.0) {
        sys::ValueType::napi_undefined => None,
        _ => Some(unsafe { from_external::<LibraryState>(env, library) }?),
    };
    let result = match sig.ret() {
        Param::Struct(s) => {
            let (data, size) = encoded_struct(env, out, s.size(), "the result")?;
            let reference = strong_ref(env, out.0);
            Some(StructResult {
                reference,
                data,
                size,
            })
        }
        Param::Scalar(_) => None,
    };
    let strings = (sig.args().iter()).any(|arg| arg.scalar().is_some_and(|ty| ty.text().is_some()));
    let keeps_strings = strings
        && sig
            .ret()
            .structure()
            .is_some_and(|s| !s.string_offsets().is_empty());
    let steps = steps_of(&sig);
    let plan = Box::into_raw(Box::new(CallPlan {
        address: address as usize,
        sig,
        strings,
        library,
        name: name.into(),
        result,
        keeps_strings,
        kept: RefCell::new(Vec::new()),
        calls: ThreadCalls::current(),
        steps,
    }));
    let mut function = ptr::null_mut();
    // SAFETY: on env's thread; the name's bytes are passed with their length. The plan is freed
    // by `finalize` when the function is collected (or the env torn down), after which Node-API
    // never calls `call` with it.
    let status = unsafe {
        let name = &(*plan).name;
        let made = sys::napi_create_function(
            env,
            name.as_ptr().cast(),
            name.len() as isize,
            Some(CALLBACKS[(*plan).sig.args().len()]),
            plan.cast(),
            &mut function,
        );
        if made == sys::Status::napi_ok {
            sys::napi_add_finalizer(
                env,
                function,
                plan.cast(),
                Some(finalize),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        } else {
            made
        }
    };
    if status != sys::Status::napi_ok {
        // SAFETY: Node-API holds no pointer to the plan.
        unsafe { finalize(env, plan.cast(), ptr::null_mut()) };
        return Err(Failure::error("bare-fn: cannot create a function"));
    }
    Ok(function)
}

/// Frees a plan once its function is gone.
unsafe extern "C" fn finalize(env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the plan boxed by `create`, finalized once.
    let plan = unsafe { Box::from_raw(data as *mut CallPlan) };
    if let Some(result) = &plan.result {
        // SAFETY: the reference is this env's, deleted once; Node-API allows it in finalizers.
        unsafe { sys::napi_delete_reference(env, result.reference) };
    }
}
