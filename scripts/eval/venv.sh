# The evaluation tools' venv, made once and again only when the interpreter or the pinned
# requirements change. Sourced by run.sh and enroll.sh:
#   eval_venv VENV REQUIREMENTS PYTHON
eval_venv() {
  local venv="$1" req="$2" py="$3" stamp
  stamp="$( { "$py" -c 'import sys; print(sys.version)'; cat "$req"; } | sha256sum | cut -c1-16)"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.voiceflow-stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "setting up $venv ..."
    rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req"
    "$venv/bin/python" -c 'import soundfile as sf; assert "MP3" in sf.available_formats(), "libsndfile without MP3"'
    echo "$stamp" >"$venv/.voiceflow-stamp"
  fi
}
