-- R__otp_code_arguments.sql — support for insert_otp_record and start_verification (none of the 36 objects).
-- The checks of a code to store, raised before any write: a hash and a salt
-- that are neither NULL (22004), empty nor blank (22023) nor over 512 / 255
-- characters (22001), and an expiry that is a finite time at most a day after
-- the database clock (22023: an OTP lives seconds to minutes; 'infinity'
-- would make a code valid for ever). p_expires_param names the caller's
-- argument in the message.

create or replace function ecliptix_internal.assert_otp_code(
  p_otp_hash       text,
  p_otp_salt       text,
  p_expires_at     timestamptz,
  p_expires_param  text
)
returns void
language plpgsql
stable
as $$
begin
  perform ecliptix_internal.assert_not_null(p_otp_hash, 'p_otp_hash');
  perform ecliptix_internal.assert_not_null(p_otp_salt, 'p_otp_salt');
  perform ecliptix_internal.assert_not_null(p_expires_at, p_expires_param);
  if btrim(p_otp_hash) = '' then
    raise exception 'p_otp_hash must not be empty' using errcode = 'invalid_parameter_value';
  end if;
  if btrim(p_otp_salt) = '' then
    raise exception 'p_otp_salt must not be empty' using errcode = 'invalid_parameter_value';
  end if;
  perform ecliptix_internal.assert_max_length(p_otp_hash, 512, 'p_otp_hash');
  perform ecliptix_internal.assert_max_length(p_otp_salt, 255, 'p_otp_salt');
  if not isfinite(p_expires_at) or p_expires_at > ecliptix_internal.now() + interval '1 day' then
    raise exception '% must be a finite time at most a day after the database clock (got %)', p_expires_param, p_expires_at
      using errcode = 'invalid_parameter_value';
  end if;
end;
$$;

revoke all on function ecliptix_internal.assert_otp_code(text, text, timestamptz, text) from public;
