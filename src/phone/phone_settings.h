// The phone settings a profile chooses (F8): how strictly numbers are read, and how they are
// written for the PBX. Declared here, by the module that acts on them; config/profile.h
// holds them (ValidationConfig::phone_mode, Profile::phone_render) and the loader fills them.
#pragma once

namespace telsync {

// validation.phone_mode: strict demands +<country code>; lenient also reads national
// numbers with the profile's default region.
enum class PhoneMode { kStrict, kLenient };

// render.phone: "+4681234567" (e164) or "4681234567" (digits, seed 001).
enum class PhoneRender { kE164, kDigits };

}  // namespace telsync
