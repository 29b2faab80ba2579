; Inno Setup script for DorsiLab on Windows (per-user install; no administrator rights).
;
; Built by `python installers/build.py` on Windows when Inno Setup 6 is installed, which
; passes the defines below; by hand, from the repository root after the PyInstaller step:
;
;   iscc /DAppVersion=0.1.0 /DSourceDir=dist\dorsilab /DOutputDir=dist ^
;        /DIconFile=clinic_app\resources\icons\dorsilab.ico installers\windows\dorsilab.iss

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z (build.py reads it from clinic_app/_version.py)
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\dorsilab"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef IconFile
  #define IconFile "..\..\clinic_app\resources\icons\dorsilab.ico"
#endif

[Setup]
; A fixed AppId keeps upgrades in place and the uninstaller entry unique. Never change it.
AppId={{6F1C2B7E-5A0D-4E8B-9C3F-D0B51A7E2C44}
AppName=DorsiLab
AppVersion={#AppVersion}
AppVerName=DorsiLab {#AppVersion}
AppPublisher=DorsiLab
VersionInfoVersion={#AppVersion}
; Per-user install: no UAC prompt, works on locked-down clinic PCs.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={localappdata}\Programs\DorsiLab
DefaultGroupName=DorsiLab
DisableProgramGroupPage=yes
OutputDir={#OutputDir}
OutputBaseFilename=DorsiLab-{#AppVersion}-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\DorsiLab.exe
UninstallDisplayName=DorsiLab {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole PyInstaller one-folder bundle (DorsiLab.exe, clinic-app.exe, _internal\).
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundled libraries wholesale, so no stale DLL of an older build stays.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\DorsiLab"; Filename: "{app}\DorsiLab.exe"; WorkingDir: "{app}"
Name: "{group}\DorsiLab self-test"; Filename: "{app}\clinic-app.exe"; Parameters: "selftest"; WorkingDir: "{app}"
Name: "{group}\{cm:UninstallProgram,DorsiLab}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\DorsiLab"; Filename: "{app}\DorsiLab.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\DorsiLab.exe"; Description: "{cm:LaunchProgram,DorsiLab}"; Flags: nowait postinstall skipifsilent

; Patient data lives in %LOCALAPPDATA%\DorsiLab\DorsiLab (platformdirs), outside {app}: the
; uninstaller removes the program only, never a clinic's records.
