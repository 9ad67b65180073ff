//! Upload calls other than `rawUpload` (which is not XML-RPC; see `http::upload`):
//! `checkUpload` and the legacy `uploadFile`.

use base64::Engine as _;
use common::signature;
use common::xmlrpc::{Params, Signature, Struct, Value};

use crate::error::{Error, Result};
use crate::files::checksum::{Checksum, digest_of};
use crate::files::upload;
use crate::rpc::call::Call;

/// `checkUpload(path, name, verify=None, tail=None, volume=None)`: nil if the file does not
/// exist, else `{size, mtime}` plus `{sumlength, hexdigest}` with `verify`.
pub async fn check_upload(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("checkUpload", ["path", "name"], ["verify", "tail", "volume"]);
    let mut bound = params.bind(&SIG)?;
    let dir: String = bound.arg()?;
    let name: String = bound.arg()?;
    let verify: Option<String> = bound.arg()?;
    let tail: Option<i64> = bound.arg()?;
    let volume: Option<String> = bound.arg()?;
    let tail = match tail {
        Some(t) if t < 0 => return Err(Error::InvalidValue(format!("Invalid tail value: {t}"))),
        Some(t) => Some(t.unsigned_abs()),
        None => None,
    };
    let path = upload::locate(&cx.ctx.config.topdir, &dir, &name, volume.as_deref())?;
    let sum = Checksum::named(verify.as_deref().unwrap_or_default())?;
    let display = format!("{dir}/{name}");
    let checked = tokio::task::spawn_blocking(move || upload::check(&path, &display, sum, tail))
        .await
        .map_err(|e| Error::Internal(format!("checkUpload failed: {e}")))??;
    let Some(checked) = checked else {
        return Ok(Value::Nil);
    };
    let mut result = Struct::new();
    result.insert(
        "size".into(),
        Value::Int(i64::try_from(checked.size).unwrap_or(i64::MAX)),
    );
    result.insert("mtime".into(), Value::Double(checked.mtime));
    if let Some((length, hexdigest)) = checked.digest {
        result.insert(
            "sumlength".into(),
            Value::Int(i64::try_from(length).unwrap_or(i64::MAX)),
        );
        result.insert("hexdigest".into(), Value::String(hexdigest));
    }
    Ok(Value::Struct(result))
}

fn lenient_int(value: &Value, what: &str) -> Result<Option<i64>> {
    match value {
        Value::Nil => Ok(None),
        other => other
            .as_i64()
            .map(Some)
            .ok_or_else(|| Error::InvalidValue(format!("Invalid {what}: {other}"))),
    }
}

/// `uploadFile(path, name, size, md5sum, offset, data, volume=None, checksum=None)`: the
/// legacy base64 upload. A chunk whose size or checksum does not match is refused before
/// anything is written.
pub async fn upload_file(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "uploadFile",
        ["path", "name", "size", "md5sum", "offset", "data"],
        ["volume", "checksum"]
    );
    let mut bound = params.bind(&SIG)?;
    let dir: String = bound.arg()?;
    let name: String = bound.arg()?;
    let size = lenient_int(&bound.next_raw(), "size")?;
    let md5sum = bound.next_raw();
    let offset = lenient_int(&bound.next_raw(), "offset")?.unwrap_or(0);
    let data = bound.next_raw();
    let volume: Option<String> = bound.arg()?;
    let checksum = bound.next_raw();
    cx.assert_login()?;
    let data = match data {
        Value::Base64(bytes) => bytes,
        Value::String(text) => base64::engine::general_purpose::STANDARD
            .decode(text.split_whitespace().collect::<String>())
            .map_err(|e| Error::InvalidValue(format!("uploadFile data is not base64: {e}")))?,
        other => {
            return Err(Error::InvalidValue(format!(
                "uploadFile data must be base64 text, not {}",
                other.type_name()
            )));
        }
    };
    let digest = if checksum.is_nil() { md5sum } else { checksum };
    let digest: Option<(String, String)> = match digest {
        Value::Nil => None,
        Value::String(hex) => Some(("md5".to_owned(), hex)),
        Value::Array(pair) => match pair.as_slice() {
            [Value::String(kind), Value::String(hex)] => Some((kind.clone(), hex.clone())),
            _ => return Err(Error::InvalidValue("checksum must be [type, hexdigest]".into())),
        },
        other => return Err(Error::InvalidValue(format!("Invalid checksum: {other}"))),
    };
    if offset != -1 {
        if let Some(size) = size
            && usize::try_from(size).ok() != Some(data.len())
        {
            return Err(Error::InvalidValue(format!(
                "uploadFile chunk of {name} is {} bytes, not {size}",
                data.len()
            )));
        }
        if let Some((kind, expected)) = &digest {
            let actual = digest_of(kind, &data)?;
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(Error::UploadChecksum {
                    name: format!("{dir}/{name}"),
                    verify: kind.clone(),
                    expected: expected.clone(),
                    actual,
                });
            }
        }
    }
    let target = upload::authorize(cx, &dir, &name, volume.as_deref()).await?;
    let final_size = match size {
        Some(s) if offset == -1 => {
            Some(u64::try_from(s).map_err(|_| Error::InvalidValue(format!("Invalid size: {s}")))?)
        }
        _ => None,
    };
    tokio::task::spawn_blocking(move || {
        let whole = if offset == -1 {
            digest.as_ref().map(|(k, h)| (k.as_str(), h.as_str()))
        } else {
            None
        };
        upload::write_legacy(&target, offset, &data, final_size, whole)
    })
    .await
    .map_err(|e| Error::Internal(format!("uploadFile failed: {e}")))??;
    Ok(Value::Bool(true))
}
