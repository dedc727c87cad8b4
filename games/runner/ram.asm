; runner: RAM map, hardware registers and tuning constants.
; The addresses marked (public) are documented in docs/builtin-game.md and read by the game
; adapter and the tests; keep them stable.

; --- NES hardware ---------------------------------------------------------------------------
PPUCTRL   = $2000
PPUMASK   = $2001
PPUSTATUS = $2002
OAMADDR   = $2003
PPUSCROLL = $2005
PPUADDR   = $2006
PPUDATA   = $2007
OAMDMA    = $4014
JOYPAD1   = $4016
APUFRAME  = $4017
DMCFREQ   = $4010

; --- zero page: scratch -------------------------------------------------------------------------
t0 = $00
t1 = $01
t2 = $02
t3 = $03
t4 = $04
t5 = $05
t6 = $06
t7 = $07
t8 = $08
ptr = $0E              ; 2 bytes

; --- zero page: frame bookkeeping ---------------------------------------------------------------
frame      = $10       ; (public) frame counter, +1 per NMI
pad        = $12       ; buttons held: A $80 B $40 SELECT $20 START $10 UP $08 DOWN $04 LEFT $02 RIGHT $01
pad_prev   = $13
pad_new    = $14       ; buttons pressed this frame
ppu_ctrl   = $15       ; shadow of PPUCTRL (NMI writes it with the scroll nametable bit)
ppu_mask   = $16       ; shadow of PPUMASK (0 = rendering off)

; --- zero page: game state (public) -------------------------------------------------------------
mode       = $20       ; 0 title, 1 playing, 2 game over
stage      = $21       ; 0..2; write it on the title screen (or before a reload) to pick the stage
lives      = $22       ; lives left, counting the one in play
pstate     = $23       ; player state: 0 alive, 1 dying, 2 dead, 3 cleared (flag reached)
px_lo      = $24       ; player x in level pixels = px_hi * 256 + px_lo (left edge of 16 px sprite)
px_hi      = $25
px_frac    = $26       ; 1/16 px
py         = $27       ; player y in screen pixels (top of sprite); 192 standing on normal ground
py_frac    = $28
vx         = $29       ; signed, 1/16 px per frame
vy         = $2A       ; signed, 1/16 px per frame, down positive
on_ground  = $2B
facing     = $2C       ; 0 right, 1 left
ptimer     = $2D       ; frames left in dying / dead / cleared
cam_lo     = $30       ; camera x (left edge of the screen) in level pixels
cam_hi     = $31
clock      = $32       ; 3 bytes: hundreds, tens, ones (one decimal digit each)
clock_tick = $35       ; frames until the clock's next tick
next_col   = $36       ; next level column to stream into the nametables
col_pending = $37      ; 1 while COLBUF waits for the NMI
col_addr_hi = $38      ; PPU address of COLBUF's left tile column
col_addr_lo = $39
stomps     = $3A       ; enemies stomped in this stage
flag_col   = $3B       ; level column of the flag pole
mode_timer = $3C       ; frames left on the game-over pause

NUM_ENEMIES = 6
e_state    = $40       ; 6 bytes: 0 none, 1 walking, 2 squashed, 3 gone
e_xlo      = $46       ; 6 bytes: x in level pixels
e_xhi      = $4C
e_y        = $52       ; 6 bytes: y in screen pixels
e_dir      = $58       ; 6 bytes: 0 right, 1 left
e_timer    = $5E       ; 6 bytes: frames left squashed
e_home     = $64       ; 6 bytes: ground height it patrols

; --- other pages --------------------------------------------------------------------------------
OAM        = $0200     ; sprite page copied by OAM DMA every NMI
COLBUF_L   = $0300     ; 30 tiles of the left half of the column being streamed
COLBUF_R   = $0320     ; 30 tiles of the right half
LEVEL      = $0400     ; 64 bytes (public): one per 16 px column, $RH = block row R (0 none), ground height H (0 pit)
LEVEL_COLS = 64

; --- values ------------------------------------------------------------------------------------
BTN_A      = $80
BTN_B      = $40
BTN_SELECT = $20
BTN_START  = $10
BTN_LEFT   = $02
BTN_RIGHT  = $01

MODE_TITLE = 0
MODE_PLAY  = 1
MODE_OVER  = 2

PS_ALIVE   = 0
PS_DYING   = 1
PS_DEAD    = 2
PS_CLEARED = 3

ES_NONE    = 0
ES_WALK    = 1
ES_SQUASHED = 2
ES_GONE    = 3

; Movement tuning (1/16 px per frame units)
WALK_MAX   = 24        ; 1.5 px/frame
RUN_MAX    = 40        ; 2.5 px/frame with B held
ACCEL      = 2
JUMP_VY    = -60       ; 3.75 px/frame up
GRAV_HOLD  = 2         ; while rising with A held
GRAV       = 6         ; otherwise
MAX_FALL   = 64
STOMP_VY   = -40
DEATH_HOP_VY = -48
PIT_Y      = 217       ; below any floor: falling past it means a pit

DYING_FRAMES = 64
DEAD_FRAMES  = 16
CLEAR_FRAMES = 120
OVER_FRAMES  = 120
CLOCK_TICK   = 24      ; frames per clock unit
CLOCK_START  = 3       ; hundreds digit at stage start (300)
START_X      = 32
CAM_MAX      = (LEVEL_COLS - 16) * 16
CAM_LEAD     = 112     ; the camera keeps the player this far from the left edge

; Tile numbers (tiles.asm)
T_SKY      = $00
T_GRASS    = $01
T_DIRT     = $02
T_BRICK    = $03
T_POLE     = $04
T_BALL     = $05
T_FLAG     = $06
T_ENEMY    = $08       ; top pair, bottom pair, second bottom pair
T_ENEMY_FLAT = $0E
T_PLAYER   = $10       ; top pair, bottom pair, walking bottom pair
T_HEART    = $18
T_DIGIT0   = '0'
